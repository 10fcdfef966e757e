"""Progress: course completion, certificates, the learner's dashboard and competency profile, trainer reports."""
