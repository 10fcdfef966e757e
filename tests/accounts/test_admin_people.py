"""Administrators' people pages: search and filters, a person's page, edit, roles, deactivation, reset links."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import people
from app.accounts.models import Organisation, User, UserRole
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.progress.models import CompletionState, CourseCompletion
from tests.accounts.admin_setup import post, signed_in
from tests.factories import csrf_from, make_user, outbox_messages
from tests.gates.queries import assert_constant_queries

_numbers = itertools.count(1)


@pytest.fixture
def admin(db: Session) -> User:
    # English pages: the assertions read the messages' English text.
    return make_user(db, full_name="Ada Administratorė", roles={Role.ADMIN, Role.LEARNER}, locale="en")


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings, admin: User) -> TestClient:
    return signed_in(app, db, settings, admin)


def roles_of(db: Session, person: User) -> set[Role]:
    return {Role(role) for role in db.scalars(select(UserRole.role).where(UserRole.user_id == person.id))}


def organisation(db: Session, slug: str) -> Organisation:
    found = db.scalar(select(Organisation).where(Organisation.slug == slug))
    assert found is not None
    return found


def make_course(db: Session) -> Course:
    """A bare course written straight to the tables, in a test programme."""
    programme = db.scalar(select(Programme).where(Programme.code == "TP"))
    if programme is None:
        programme = Programme(
            code="TP", slug="test-programme", title={"lt": "Programa", "en": "Programme"}, description={},
            content_hash="x",
        )  # fmt: skip
        db.add(programme)
        db.flush()
    number = next(_numbers)
    course = Course(
        code=f"TP{number}", slug=f"test-course-{number}", programme_id=programme.id, position=number,
        title={"lt": f"Kursas {number}", "en": f"Course {number}"}, summary={}, outcomes={}, estimated_hours=1,
        content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.flush()
    return course


# --- the list ---------------------------------------------------------------------------------------


def test_search_with_a_lithuanian_letter_finds_the_name(browser: TestClient, db: Session) -> None:
    make_user(db, full_name="Rūta Žemaitė", email_address="ruta@example.lt")
    make_user(db, full_name="Jonas Jonaitis", email_address="jonas@example.lt")
    page = browser.get("/admin/users", params={"q": "ž"})
    assert page.status_code == 200
    assert "Rūta Žemaitė" in page.text
    assert "Jonas Jonaitis" not in page.text
    upper = browser.get("/admin/users", params={"q": "ŽEMAIT"})
    assert "Rūta Žemaitė" in upper.text


def test_search_matches_part_of_the_email_address_in_any_case(browser: TestClient, db: Session) -> None:
    make_user(db, full_name="Ona Onaitė", email_address="ona.onaite@birzai.lt")
    make_user(db, full_name="Petras Petraitis", email_address="petras@prienai.lt")
    page = browser.get("/admin/users", params={"q": "BIRZAI.LT"})
    assert "Ona Onaitė" in page.text
    assert "Petras Petraitis" not in page.text


def test_filters_by_organisation_role_and_status(browser: TestClient, db: Session) -> None:
    birzai = organisation(db, "birzai-municipality")
    make_user(db, full_name="Trainer Birzai", roles={Role.TRAINER}, organisation=birzai)
    make_user(db, full_name="Learner Birzai", organisation=birzai)
    gone = make_user(db, full_name="Gone Birzai", organisation=birzai)
    gone.is_active = False
    erased = make_user(db, full_name="Erased Birzai", organisation=birzai)
    erased.anonymised_at = utcnow()
    make_user(db, full_name="Trainer Elsewhere", roles={Role.TRAINER})
    db.commit()

    by_organisation = browser.get("/admin/users", params={"organisation": str(birzai.id)}).text
    assert "Trainer Birzai" in by_organisation and "Learner Birzai" in by_organisation
    assert "Trainer Elsewhere" not in by_organisation

    trainers = browser.get("/admin/users", params={"organisation": str(birzai.id), "role": "trainer"}).text
    assert "Trainer Birzai" in trainers and "Learner Birzai" not in trainers

    deactivated = browser.get("/admin/users", params={"status": "deactivated"}).text
    assert "Gone Birzai" in deactivated and "Erased Birzai" not in deactivated and "Learner Birzai" not in deactivated

    anonymised = browser.get("/admin/users", params={"status": "anonymised"}).text
    assert "Erased Birzai" in anonymised and "Gone Birzai" not in anonymised

    active = browser.get("/admin/users", params={"organisation": str(birzai.id), "status": "active"}).text
    assert "Learner Birzai" in active and "Gone Birzai" not in active and "Erased Birzai" not in active


def test_list_shows_columns_and_pages_of_fifty(browser: TestClient, db: Session, admin: User) -> None:
    admin.last_login_at = utcnow()
    for number in range(55):
        make_user(db, full_name=f"Person {number:02d}", email_address=f"p{number:02d}@example.lt")
    first = browser.get("/admin/users", params={"q": "person"}).text
    assert "55 people – page 1 of 2" in first
    assert first.count('<th scope="row"><a href="/admin/users/') == 50
    assert "Person 00" in first and "Person 49" in first and "Person 50" not in first
    assert "Never" in first and "p00@example.lt" in first
    assert 'href="/admin/users?q=person&amp;organisation=&amp;role=&amp;status=&amp;page=2"' in first
    second = browser.get("/admin/users", params={"q": "person", "page": "2"}).text
    assert "Person 54" in second and "Person 00" not in second


def test_bad_filter_values_redisplay_the_form_with_an_error(browser: TestClient) -> None:
    page = browser.get("/admin/users", params={"role": "emperor", "q": "abc"})
    assert page.status_code == 422
    assert 'href="#field-role"' in page.text
    assert 'value="abc"' in page.text


def test_people_list_query_count_does_not_grow(browser: TestClient, db: Session) -> None:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            make_user(db, roles={Role.LEARNER, Role.TRAINER})

    # session with user, roles and organisation; count; page of people with organisations; their roles;
    # the organisations for the filter
    assert_constant_queries(browser, db, "/admin/users", grow, budget=5)


# --- a person's page --------------------------------------------------------------------------------


def test_person_page_shows_details_places_and_privacy_links(browser: TestClient, db: Session) -> None:
    person = make_user(db, full_name="Rūta Žemaitė", email_address="ruta@example.lt", roles={Role.LEARNER})
    person.job_title = "Socialinė darbuotoja"
    learning, teaching = make_course(db), make_course(db)
    db.add_all(
        [
            Enrolment(user_id=person.id, course_id=learning.id, role=CourseRole.LEARNER),
            Enrolment(user_id=person.id, course_id=teaching.id, role=CourseRole.TRAINER),
            CourseCompletion(
                user_id=person.id, course_id=learning.id, state=CompletionState.COMPLETED, percent=100,
                completed_at=utcnow(),
            ),
        ]
    )  # fmt: skip
    db.commit()
    page = browser.get(f"/admin/users/{person.id}")
    assert page.status_code == 200
    html = page.text
    assert "ruta@example.lt" in html and "Socialinė darbuotoja" in html
    assert learning.code in html and teaching.code in html
    assert "state--completed" in html
    assert f'href="/admin/users/{person.id}/data.json"' in html
    assert f'href="/admin/users/{person.id}/anonymise"' in html
    assert f'action="/admin/users/{person.id}/roles"' in html


def test_anonymised_person_has_no_edit_forms_or_privacy_links(browser: TestClient, db: Session) -> None:
    person = make_user(db, full_name="Anonimas")
    person.anonymised_at = utcnow()
    person.is_active = False
    db.commit()
    html = browser.get(f"/admin/users/{person.id}").text
    assert "/data.json" not in html and "/anonymise" not in html
    assert f"/admin/users/{person.id}/edit" not in html
    assert "/roles" not in html
    assert browser.get(f"/admin/users/{person.id}/edit").status_code == 303
    refused = post(browser, f"/admin/users/{person.id}/edit", {"full_name": "X", "locale": "lt"})
    assert refused.status_code == 409
    assert post(browser, f"/admin/users/{person.id}/roles", {"role_learner": "on"}).status_code == 409
    assert post(browser, f"/admin/users/{person.id}/reactivate").status_code == 409


def test_unknown_person_is_not_found(browser: TestClient) -> None:
    assert browser.get("/admin/users/987654").status_code == 404
    assert browser.get("/admin/users/987654/edit").status_code == 404
    assert post(browser, "/admin/users/987654/deactivate").status_code == 404


def test_person_page_query_count_does_not_grow_with_course_places(browser: TestClient, db: Session) -> None:
    person = make_user(db)

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            course = make_course(db)
            db.add(Enrolment(user_id=person.id, course_id=course.id, role=CourseRole.LEARNER))
        db.commit()

    # session with user, roles and organisation; the person with organisation; their roles; their places
    assert_constant_queries(browser, db, f"/admin/users/{person.id}", grow, budget=4)


# --- editing ----------------------------------------------------------------------------------------


def test_edit_saves_name_job_organisation_and_language(browser: TestClient, db: Session) -> None:
    person = make_user(db, full_name="Old Name")
    prienai = organisation(db, "prienai-municipality")
    form = browser.get(f"/admin/users/{person.id}/edit")
    assert form.status_code == 200 and 'value="Old Name"' in form.text
    response = browser.post(
        f"/admin/users/{person.id}/edit",
        data={
            "csrf_token": csrf_from(form.text),
            "full_name": "Naujas Vardenis",
            "job_title": "Vedėjas",
            "organisation_id": str(prienai.id),
            "locale": "nb",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{person.id}?notice=person-saved"
    db.refresh(person)
    assert (person.full_name, person.job_title, person.organisation_id, person.locale) == (
        "Naujas Vardenis",
        "Vedėjas",
        prienai.id,
        "nb",
    )
    assert "The person&#39;s details have been saved." in browser.get(response.headers["location"]).text
    # The log names the changed fields, never the values (the old name would otherwise outlive an erasure).
    (entry,) = entries_for(db, action=AuditAction.USER_UPDATED)
    assert entry.target_id == str(person.id)
    assert entry.details == {"changed": ["full_name", "job_title", "locale", "organisation_id"]}
    assert "Old Name" not in str(entry.details)


def test_edit_with_errors_redisplays_what_was_typed(browser: TestClient, db: Session) -> None:
    person = make_user(db, full_name="Kept Name")
    response = post(
        browser,
        f"/admin/users/{person.id}/edit",
        {"full_name": "  ", "job_title": "Typed <title>", "organisation_id": "", "locale": "xx"},
    )
    assert response.status_code == 422
    assert 'href="#field-full_name"' in response.text and 'href="#field-locale"' in response.text
    assert "Typed &lt;title&gt;" in response.text
    db.refresh(person)
    assert person.full_name == "Kept Name"


def test_edit_to_an_unknown_organisation_is_refused(browser: TestClient, db: Session) -> None:
    person = make_user(db)
    response = post(
        browser, f"/admin/users/{person.id}/edit", {"full_name": "A B", "organisation_id": "999999", "locale": "lt"}
    )
    assert response.status_code == 422
    assert 'href="#field-organisation_id"' in response.text


def test_organisation_manager_cannot_be_left_without_organisation(browser: TestClient, db: Session) -> None:
    manager = make_user(db, roles={Role.ORG_MANAGER})
    response = post(
        browser, f"/admin/users/{manager.id}/edit", {"full_name": "A B", "organisation_id": "", "locale": "lt"}
    )
    assert response.status_code == 409
    assert "must belong to an organisation" in response.text
    db.refresh(manager)
    assert manager.organisation_id is not None


# --- roles ------------------------------------------------------------------------------------------


def test_roles_are_saved_and_audited_with_before_and_after(browser: TestClient, db: Session) -> None:
    person = make_user(db, roles={Role.LEARNER})
    response = post(browser, f"/admin/users/{person.id}/roles", {"role_learner": "on", "role_trainer": "on"})
    assert response.status_code == 303
    assert roles_of(db, person) == {Role.LEARNER, Role.TRAINER}
    (entry,) = entries_for(db, action=AuditAction.USER_ROLES_CHANGED)
    assert entry.target_id == str(person.id)
    assert entry.details == {"before": ["learner"], "after": ["learner", "trainer"]}
    again = post(browser, f"/admin/users/{person.id}/roles", {"role_learner": "on", "role_trainer": "on"})
    assert again.headers["location"].endswith("notice=roles-unchanged")
    assert len(entries_for(db, action=AuditAction.USER_ROLES_CHANGED)) == 1


def test_roles_page_shows_the_current_roles_ticked(browser: TestClient, db: Session) -> None:
    person = make_user(db, roles={Role.LEARNER, Role.TRAINER})
    page = browser.get(f"/admin/users/{person.id}/roles")
    assert page.status_code == 200
    assert 'name="role_trainer" checked' in page.text and 'name="role_admin">' in page.text


def test_no_role_ticked_is_refused(browser: TestClient, db: Session) -> None:
    person = make_user(db, roles={Role.LEARNER})
    response = post(browser, f"/admin/users/{person.id}/roles", {})
    assert response.status_code == 422
    assert 'href="#field-roles"' in response.text


def test_organisation_manager_role_needs_an_organisation(browser: TestClient, db: Session) -> None:
    person = make_user(db, roles={Role.LEARNER})
    person.organisation_id = None
    db.commit()
    response = post(browser, f"/admin/users/{person.id}/roles", {"role_learner": "on", "role_org_manager": "on"})
    assert response.status_code == 409
    assert "must belong to an organisation" in response.text
    # The ticks the administrator made are shown again.
    assert 'id="field-role_org_manager" name="role_org_manager" checked' in response.text
    assert roles_of(db, person) == {Role.LEARNER}


def test_admin_cannot_remove_their_own_admin_role(
    browser: TestClient, db: Session, admin: User, app: FastAPI, settings: Settings
) -> None:
    make_user(db, roles={Role.ADMIN})  # another active administrator exists
    response = post(browser, f"/admin/users/{admin.id}/roles", {"role_learner": "on"})
    assert response.status_code == 409
    assert "your own administrator role" in response.text
    db.expire_all()
    assert Role.ADMIN in roles_of(db, admin)


def test_last_active_administrator_keeps_the_role(browser: TestClient, db: Session, admin: User) -> None:
    retired = make_user(db, roles={Role.ADMIN})
    retired.is_active = False
    db.commit()
    response = post(browser, f"/admin/users/{admin.id}/roles", {"role_learner": "on"})
    assert response.status_code == 409
    assert "last active administrator" in response.text


def test_last_active_administrator_rule_holds_for_any_caller(db: Session) -> None:
    only_admin = make_user(db, roles={Role.ADMIN})
    command_line_user = make_user(db, roles={Role.LEARNER})
    with pytest.raises(Conflict):
        people.set_roles(db, person=only_admin, roles={Role.LEARNER}, by=command_line_user)


def test_role_change_applies_at_once(app: FastAPI, db: Session, settings: Settings, browser: TestClient) -> None:
    person = make_user(db, roles={Role.LEARNER, Role.ADMIN})
    their_browser = signed_in(app, db, settings, person)
    assert their_browser.get("/admin/users").status_code == 200
    assert post(browser, f"/admin/users/{person.id}/roles", {"role_learner": "on"}).status_code == 303
    assert their_browser.get("/admin/users").status_code == 403


# --- deactivation and reactivation -----------------------------------------------------------------


def test_deactivation_signs_the_person_out_everywhere(
    app: FastAPI, db: Session, settings: Settings, browser: TestClient
) -> None:
    person = make_user(db)
    their_browser = signed_in(app, db, settings, person)
    assert their_browser.get("/profile").status_code == 200
    response = post(browser, f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=person-deactivated")
    assert their_browser.get("/profile").headers["location"].startswith("/login")
    db.refresh(person)
    assert person.is_active is False
    (entry,) = entries_for(db, action=AuditAction.USER_DEACTIVATED)
    assert entry.target_id == str(person.id)
    again = post(browser, f"/admin/users/{person.id}/deactivate")
    assert again.headers["location"].endswith("notice=person-already-deactivated")
    assert len(entries_for(db, action=AuditAction.USER_DEACTIVATED)) == 1


def test_reactivation_lets_the_person_back_and_is_audited(browser: TestClient, db: Session) -> None:
    person = make_user(db)
    person.is_active = False
    db.commit()
    page = browser.get(f"/admin/users/{person.id}").text
    assert f'action="/admin/users/{person.id}/reactivate"' in page
    assert post(browser, f"/admin/users/{person.id}/reactivate").status_code == 303
    db.refresh(person)
    assert person.is_active is True
    assert len(entries_for(db, action=AuditAction.USER_REACTIVATED)) == 1


def test_admin_cannot_deactivate_themselves(browser: TestClient, db: Session, admin: User) -> None:
    response = post(browser, f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "your own account" in response.text
    db.refresh(admin)
    assert admin.is_active


# --- password reset links --------------------------------------------------------------------------


def test_reset_link_is_mailed_and_audited_once_per_double_click(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    person = make_user(db, email_address="reset.me@example.lt")
    response = post(browser, f"/admin/users/{person.id}/password-reset")
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=reset-link-sent")
    assert "A password reset link has been sent" in browser.get(response.headers["location"]).text
    mails = [mail for mail in outbox_messages(settings.outbox_path) if mail["To"] == "reset.me@example.lt"]
    assert len(mails) == 1 and "/reset-password/" in mails[0].get_payload()
    (entry,) = entries_for(db, action=AuditAction.USER_PASSWORD_RESET_SENT)
    assert entry.target_id == str(person.id)
    again = post(browser, f"/admin/users/{person.id}/password-reset")
    assert again.headers["location"].endswith("notice=reset-link-recent")
    assert len([mail for mail in outbox_messages(settings.outbox_path) if mail["To"] == "reset.me@example.lt"]) == 1


def test_no_reset_link_for_a_deactivated_account(browser: TestClient, db: Session, settings: Settings) -> None:
    person = make_user(db, email_address="inactive@example.lt")
    person.is_active = False
    db.commit()
    response = post(browser, f"/admin/users/{person.id}/password-reset")
    assert response.status_code == 409
    assert not [mail for mail in outbox_messages(settings.outbox_path) if mail["To"] == "inactive@example.lt"]


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [{Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_people_pages_are_for_administrators_only(
    app: FastAPI, db: Session, settings: Settings, roles: set[Role]
) -> None:
    person = make_user(db)
    outsider = signed_in(app, db, settings, make_user(db, roles=roles))
    for url in (
        "/admin/users",
        f"/admin/users/{person.id}",
        f"/admin/users/{person.id}/edit",
        f"/admin/users/{person.id}/roles",
    ):
        assert outsider.get(url).status_code == 403, url
    for action in ("deactivate", "reactivate", "password-reset", "roles", "edit"):
        assert post(outsider, f"/admin/users/{person.id}/{action}", {"role_admin": "on"}).status_code == 403
    db.refresh(person)
    assert person.is_active and roles_of(db, person) == {Role.LEARNER}
