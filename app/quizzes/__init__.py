"""Quizzes: the question bank, its interchange formats (GIFT, Moodle XML) and grading."""
