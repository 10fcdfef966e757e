"""Fixtures of the survey tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.config import Settings
from app.surveys import invitations


@pytest.fixture
def mail(settings: Settings) -> Iterator[Settings]:
    """Invitation emails go to this test's outbox (as `surveys.wiring.connect(settings)` arranges in the app)."""
    invitations.use_mail_settings(settings)
    try:
        yield settings
    finally:
        invitations.use_mail_settings(None)
