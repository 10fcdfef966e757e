"""The audit log: entries written by the service, and the administrators' page with its filters."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.service import AuditAction, SystemActor, record
from app.core.access import Role
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import client_for


def test_record_keeps_who_what_and_details(db: Session) -> None:
    admin = make_user(db, full_name="Aistė Vaitkutė", roles={Role.ADMIN})
    entry = record(
        db,
        actor=admin,
        action=AuditAction.COMPLETIONS_EXPORTED,
        target_type="export",
        details={"format": "csv", "rows": 12},
        ip_address="10.0.0.7",
    )
    stored = db.scalars(select(AuditEntry).where(AuditEntry.id == entry.id)).one()
    assert stored.actor_id == admin.id
    assert stored.actor_label == f"Aistė Vaitkutė <{admin.email}>"
    assert stored.action == "completions.exported"
    assert stored.details == {"format": "csv", "rows": 12}
    assert stored.ip_address == "10.0.0.7"


def test_system_actor_has_a_label_and_no_account(db: Session) -> None:
    entry = record(db, actor=SystemActor("command line"), action=AuditAction.COMPLETIONS_EXPORTED)
    assert entry.actor_id is None
    assert entry.actor_label == "command line"


def test_administrator_sees_entries_newest_first_with_labels(app: FastAPI, db: Session) -> None:
    admin = make_user(db, roles={Role.ADMIN}, locale="en")
    record(db, actor=admin, action=AuditAction.ORGANISATION_CREATED, target_type="organisation", target_id=3)
    record(db, actor=admin, action=AuditAction.USER_DEACTIVATED, target_type="user", target_id=41)
    db.commit()
    html = client_for(app, admin).get("/admin/audit").text
    assert html.index("Account deactivated") < html.index("Organisation created")
    assert "user 41" in html


def test_filters_by_action_record_and_day(app: FastAPI, db: Session) -> None:
    admin = make_user(db, roles={Role.ADMIN}, locale="en")
    old = record(db, actor=admin, action=AuditAction.USER_DEACTIVATED, target_type="user", target_id=7)
    old.created_at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    record(db, actor=admin, action=AuditAction.USER_DEACTIVATED, target_type="user", target_id=8)
    record(db, actor=admin, action=AuditAction.ORGANISATION_CREATED, target_type="organisation", target_id=8)
    db.commit()
    client = client_for(app, admin)

    by_action = client.get("/admin/audit", params={"action": "organisation.created"}).text
    assert "organisation 8" in by_action and "user 8" not in by_action

    by_record = client.get("/admin/audit", params={"target_type": "user", "target_id": "8"}).text
    assert "user 8" in by_record and "user 7" not in by_record

    by_day = client.get("/admin/audit", params={"since": "2026-01-05", "until": "2026-01-05"}).text
    assert "user 7" in by_day and "user 8" not in by_day


def test_tampered_filters_are_refused_with_the_form(app: FastAPI, db: Session) -> None:
    admin = make_user(db, roles={Role.ADMIN}, locale="en")
    client = client_for(app, admin)
    for params in ({"action": "everything"}, {"since": "yesterday"}, {"since": "2026-02-02", "until": "2026-02-01"}):
        response = client.get("/admin/audit", params=params)
        assert response.status_code == 422, params
        assert 'name="since"' in response.text


def test_only_administrators_see_the_log(app: FastAPI, db: Session) -> None:
    for roles in ({Role.LEARNER}, {Role.TRAINER}, {Role.ORG_MANAGER}):
        response = client_for(app, make_user(db, roles=roles)).get("/admin/audit")
        assert response.status_code == 403, roles


def test_log_page_query_count_is_constant(app: FastAPI, db: Session) -> None:
    admin = make_user(db, roles={Role.ADMIN})

    def grow(count: int) -> None:
        for number in range(count):
            record(db, actor=admin, action=AuditAction.USER_REACTIVATED, target_type="user", target_id=number)
        db.commit()

    assert_constant_queries(client_for(app, admin), db, "/admin/audit", grow, budget=6)
