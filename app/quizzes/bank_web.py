"""Trainer pages of the question bank: list, create and edit questions, import and export files."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
