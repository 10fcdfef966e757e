"""Programmes, courses, sections and lessons imported from content files; enrolment and lesson completion."""
