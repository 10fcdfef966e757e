"""Trainer pages of quiz results: attempts per learner, CSV export and per-question statistics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
