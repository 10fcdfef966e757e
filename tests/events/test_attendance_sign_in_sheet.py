"""The printable sign-in sheet: read back with pypdf, in the reader's language, page numbers on every page."""

from __future__ import annotations

import datetime as dt
import io

from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.config import Settings
from app.events.models import RegistrationStatus
from tests.accounts.admin_setup import signed_in
from tests.events.attendance_setup import make_event, person, register


def test_the_sheet_lists_every_registered_name_with_lithuanian_letters_and_no_one_else(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    trainer = person(db, "Tomas Treneris", roles={Role.TRAINER}, locale="lt")
    event = make_event(db, trainers=[trainer], starts_in=dt.timedelta(days=2))
    for name in ("Žemaitė Rūta", "Čiurlionis Mikalojus", "Šimonytė Ąžuolė"):
        register(db, event, person(db, name))
    register(db, event, person(db, "Laukiantis Eilėje"), status=RegistrationStatus.WAITING)
    register(db, event, person(db, "Atšaukęs Registraciją"), status=RegistrationStatus.CANCELLED)
    response = signed_in(app, db, settings, trainer).get(f"/events/{event.id}/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for name in (
        "Žemaitė Rūta",
        "Čiurlionis Mikalojus",
        "Šimonytė Ąžuolė",
        "Klasterių mokymai Kaune",
        "Tomas Treneris",
    ):
        assert name in text
    assert "Laukiantis" not in text and "Atšaukęs" not in text
    # In the reader's language (Lithuanian): the organisation heading and the date are Lithuanian.
    assert "Organizacija" in text and " m. " in text and "Laikas: Lietuva" in text
    assert "Laisvės al. 1, Kaunas" in text
    assert len(reader.pages) == 1


def test_a_long_list_runs_over_pages_repeating_the_header_and_numbering_them(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    trainer = person(db, "Tomas Treneris", roles={Role.TRAINER}, locale="en")
    event = make_event(db, trainers=[trainer])
    for number in range(40):
        register(db, event, person(db, f"Dalyvis {number:02d}"))
    response = signed_in(app, db, settings, trainer).get(f"/events/{event.id}/sign-in-sheet.pdf")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) >= 2
    for index, page in enumerate(pages, start=1):
        assert "Signature" in page and "Participant" in page  # the header row repeats
        assert f"Page {index} of {len(pages)}" in page
    assert all(f"Dalyvis {number:02d}" in "\n".join(pages) for number in range(40))
