"""Quiz pages: a learner's attempts, and the trainer's quiz settings, question slots, previews and grading."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
