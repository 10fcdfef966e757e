"""Demo data: bulk-seeded learners and trainers that look real, can sign in, and are replaced only on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from typer.testing import CliRunner

from app.accounts.models import Organisation, User
from app.cli import cli
from app.core.access import Role
from app.core.errors import DomainError
from app.courses.models import Course, Enrolment
from app.demo.seed import DEMO_EMAIL_SUFFIX, DemoDataExists, demo_email, demo_users, planned_progress, seed_demo
from tests.factories import log_in, make_user

LEARNERS = 50
TRAINERS = 3


def _demo_people(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(demo_users()).options(selectinload(User.roles)).order_by(User.email)))


def test_seeds_learners_and_trainers_across_every_organisation(db: Session) -> None:
    reported: list[int] = []
    result = seed_demo(db, learners=LEARNERS, trainers=TRAINERS, progress=reported.append)
    db.commit()

    people = _demo_people(db)
    assert (result.learners, result.trainers, result.replaced) == (LEARNERS, TRAINERS, 0)
    # No courses are imported in this test, so nobody is enrolled.
    assert result.rows == {
        "users": LEARNERS + TRAINERS,
        "user_roles": LEARNERS + 2 * TRAINERS,
        "enrolments": 0,
        "lesson_completions": 0,
        "course_completions": 0,
    }
    assert len(people) == LEARNERS + TRAINERS
    assert len({person.email for person in people}) == len(people)
    assert sum(reported) == planned_progress(learners=LEARNERS, trainers=TRAINERS)

    organisation_count = db.scalar(select(func.count()).select_from(Organisation))
    assert result.organisations == organisation_count == len({person.organisation_id for person in people})

    trainers = [person for person in people if person.email.startswith("trainer")]
    learners = [person for person in people if person.email.startswith("learner")]
    assert {person.role_set for person in trainers} == {frozenset({Role.TRAINER, Role.LEARNER})}
    assert {person.role_set for person in learners} == {frozenset({Role.LEARNER})}
    assert demo_email("learner", 42) == f"learner00042{DEMO_EMAIL_SUFFIX}"


def test_demo_names_are_lithuanian_or_norwegian_by_organisation(db: Session) -> None:
    seed_demo(db, learners=LEARNERS, trainers=0)
    countries = {organisation.id: organisation.country for organisation in db.scalars(select(Organisation))}
    people = _demo_people(db)

    assert all(len(person.full_name.split()) == 2 for person in people)
    assert {person.locale for person in people if countries[person.organisation_id] == "NO"} == {"nb"}
    assert {person.locale for person in people if countries[person.organisation_id] == "LT"} == {"lt"}
    # The built-in lists keep their diacritics (ė, ū, š, ž, ø, å ...).
    assert any(set(person.full_name) & set("ąčęėįšųūžĄČĘĖĮŠŲŪŽøåæØÅÆ") for person in people)


def test_demo_learner_signs_in_with_the_printed_password(client: TestClient, db: Session) -> None:
    result = seed_demo(db, learners=LEARNERS, trainers=TRAINERS)
    db.commit()

    log_in(client, demo_email("learner", 7), result.password)
    assert client.get("/profile").status_code == 200


def test_second_run_is_refused_unless_replacing(db: Session) -> None:
    first = seed_demo(db, learners=LEARNERS, trainers=TRAINERS)
    ordinary = make_user(db, email_address="someone@example.lt")

    with pytest.raises(DemoDataExists) as refused:
        seed_demo(db, learners=10, trainers=1)
    assert isinstance(refused.value, DomainError) and refused.value.status_code == 409

    second = seed_demo(db, learners=10, trainers=1, replace=True)
    assert second.replaced == LEARNERS + TRAINERS
    assert second.password != first.password
    assert len(_demo_people(db)) == 11
    assert db.get(User, ordinary.id) is not None


def test_seed_demo_command_refuses_a_second_run_and_replaces_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed-organisations"]).exit_code == 0

    created = runner.invoke(cli, ["seed-demo", "--learners", "20", "--trainers", "2"])
    assert created.exit_code == 0, created.output
    assert "20 learners and 2 trainers in 13 organisations" in created.output
    assert "Password of every demo account: " in created.output

    refused = runner.invoke(cli, ["seed-demo", "--learners", "20"])
    assert refused.exit_code == 1
    assert "--replace" in refused.output

    replaced = runner.invoke(cli, ["seed-demo", "--learners", "5", "--trainers", "0", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "Deleted 22 earlier demo accounts." in replaced.output


@pytest.mark.usefixtures("synced")
def test_demo_learners_are_enrolled_with_progress_and_replacing_removes_it(db: Session) -> None:
    result = seed_demo(db, learners=30, trainers=2)
    assert result.rows["enrolments"] >= 30 and result.rows["lesson_completions"] > 0
    first = db.scalar(select(User).where(User.email == demo_email("learner", 1)))
    assert first is not None
    offered = db.scalar(select(func.count()).select_from(Course).where(Course.archived_at.is_(None)))
    assert db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == first.id)) == offered
    seed_demo(db, learners=5, trainers=0, replace=True)
    assert db.scalar(select(func.count()).select_from(Enrolment)) <= 5 * 3
