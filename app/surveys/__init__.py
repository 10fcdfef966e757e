"""Satisfaction surveys: reusable templates, invitations after an event or a completed course, anonymous results."""
