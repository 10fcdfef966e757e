"""Gate fixtures: the sample course imported, with object ids the route samples point at."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.courses.importer import SyncSummary
from tests.gates.routes import refresh_object_samples


@pytest.fixture
def gate_samples(db: Session, settings: Settings, synced: SyncSummary) -> SyncSummary:
    refresh_object_samples(db, settings)
    return synced
