"""Gate fixtures: the sample course imported, with object ids the route samples point at."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.courses.importer import SyncSummary
from tests.gates.routes import refresh_object_samples


@pytest.fixture
def gate_samples(db: Session, synced: SyncSummary) -> SyncSummary:
    refresh_object_samples(db)
    return synced
