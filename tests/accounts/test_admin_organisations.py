"""Administrators' organisation pages: the list, creating and editing, and merging duplicates."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.api.models import ApiToken
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.config import Settings
from app.core.security import new_token, token_digest
from tests.accounts.admin_setup import post, signed_in
from tests.factories import csrf_from, make_user
from tests.gates.queries import assert_constant_queries

_numbers = itertools.count(1)


@pytest.fixture
def admin(db: Session) -> User:
    # English pages: the assertions read the messages' English text.
    return make_user(db, roles={Role.ADMIN, Role.LEARNER}, locale="en")


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings, admin: User) -> TestClient:
    return signed_in(app, db, settings, admin)


def by_slug(db: Session, slug: str) -> Organisation | None:
    db.expire_all()
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def add_organisation(db: Session, name: str = "Test Institution", slug: str | None = None) -> Organisation:
    organisation = Organisation(
        slug=slug or f"test-institution-{next(_numbers)}", name_lt=f"{name} LT", name_en=name, country="LT"
    )
    db.add(organisation)
    db.commit()
    return organisation


def add_token(db: Session, organisation: Organisation) -> ApiToken:
    token = ApiToken(
        name="HR", token_prefix="kls_test", token_digest=token_digest(new_token()), organisation_id=organisation.id
    )
    db.add(token)
    db.commit()
    return token


NEW = {"name_lt": "Utenos rajono savivaldybė", "name_en": "Utena District Municipality", "country": "LT"}


# --- the list ---------------------------------------------------------------------------------------


def test_list_shows_partners_with_head_counts_and_links(browser: TestClient, db: Session) -> None:
    birzai = by_slug(db, "birzai-municipality")
    assert birzai is not None
    for _ in range(3):
        make_user(db, organisation=birzai)
    html = browser.get("/admin/organisations").text
    assert "Biržai District Municipality Administration" in html
    assert "Flexible Education Norway" in html and "Norway" in html
    assert f'<a href="/admin/users?organisation={birzai.id}">3<' in html
    assert f'href="/admin/organisations/{birzai.id}/edit"' in html
    assert f'href="/admin/organisations/{birzai.id}/merge"' in html
    assert 'href="/admin/organisations/new"' in html and 'href="/admin/users"' in html


def test_search_finds_lithuanian_names_in_any_case(app: FastAPI, db: Session, settings: Settings) -> None:
    lithuanian_reader = signed_in(app, db, settings, make_user(db, roles={Role.ADMIN}, locale="lt"))
    html = lithuanian_reader.get("/admin/organisations", params={"q": "BIRŽŲ"}).text
    assert "Biržų rajono savivaldybės administracija" in html
    assert "Prienų rajono savivaldybė" not in html


def test_organisation_list_query_count_does_not_grow(browser: TestClient, db: Session) -> None:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            organisation = add_organisation(db)
            make_user(db, organisation=organisation)

    # session with user, roles and organisation; organisations with their head counts
    assert_constant_queries(browser, db, "/admin/organisations", grow, budget=2)


# --- creating ---------------------------------------------------------------------------------------


def test_new_organisation_gets_a_slug_from_its_english_name_and_is_audited(browser: TestClient, db: Session) -> None:
    form = browser.get("/admin/organisations/new")
    assert form.status_code == 200
    response = browser.post(
        "/admin/organisations/new",
        data={"csrf_token": csrf_from(form.text), **NEW, "website": "https://www.utena.lt/"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/organisations?notice=organisation-created"
    created = by_slug(db, "utena-district-municipality")
    assert created is not None
    assert (created.name_lt, created.website, created.country) == (NEW["name_lt"], "https://www.utena.lt/", "LT")
    (entry,) = entries_for(db, action=AuditAction.ORGANISATION_CREATED)
    assert entry.target_id == str(created.id)
    assert entry.details["slug"] == "utena-district-municipality"
    assert "The organisation has been added." in browser.get(response.headers["location"]).text


def test_sending_the_new_organisation_form_twice_makes_one(browser: TestClient, db: Session) -> None:
    assert post(browser, "/admin/organisations/new", NEW).status_code == 303
    assert post(browser, "/admin/organisations/new", NEW).status_code == 303
    count = db.scalar(select(func.count()).select_from(Organisation).where(Organisation.name_en == NEW["name_en"]))
    assert count == 1
    assert len(entries_for(db, action=AuditAction.ORGANISATION_CREATED)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("website", "ftp://files.utena.lt"), ("website", "javascript:alert(1)"), ("slug", "Bad Slug!"), ("name_lt", " ")],
)
def test_invalid_fields_redisplay_the_form_with_what_was_typed(
    browser: TestClient, db: Session, field: str, value: str
) -> None:
    response = post(browser, "/admin/organisations/new", {**NEW, "name_en": "Typed <Name>", field: value})
    assert response.status_code == 422
    assert f'href="#field-{field}"' in response.text
    if field != "name_en":
        assert 'value="Typed &lt;Name&gt;"' in response.text
    assert by_slug(db, "typed-name") is None


def test_unknown_country_is_refused(browser: TestClient) -> None:
    response = post(browser, "/admin/organisations/new", {**NEW, "country": "XX"})
    assert response.status_code == 422
    assert 'href="#field-country"' in response.text


def test_taken_short_name_is_a_conflict_with_a_message(browser: TestClient, db: Session) -> None:
    response = post(browser, "/admin/organisations/new", {**NEW, "slug": "leu"})
    assert response.status_code == 409
    assert "already uses the short name “leu”" in response.text
    assert f'value="{NEW["name_lt"]}"' in response.text
    assert db.scalar(select(func.count()).select_from(Organisation).where(Organisation.name_en == NEW["name_en"])) == 0


def test_english_name_without_latin_letters_asks_for_a_short_name(browser: TestClient, db: Session) -> None:
    response = post(browser, "/admin/organisations/new", {**NEW, "name_en": "— ? —"})
    assert response.status_code == 422
    assert 'href="#field-slug"' in response.text
    assert post(browser, "/admin/organisations/new", {**NEW, "name_en": "Ūkio įstaiga"}).status_code == 303
    assert by_slug(db, "ukio-istaiga") is not None  # letters lose their accents


# --- editing ----------------------------------------------------------------------------------------


def test_edit_saves_changes_and_audits_before_and_after(browser: TestClient, db: Session) -> None:
    organisation = add_organisation(db, "Old Name", slug="old-name")
    form = browser.get(f"/admin/organisations/{organisation.id}/edit")
    assert form.status_code == 200 and 'value="Old Name"' in form.text
    response = post(
        browser,
        f"/admin/organisations/{organisation.id}/edit",
        {"name_lt": "Old Name LT", "name_en": "New Name", "slug": "old-name", "website": "", "country": "NO"},
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=organisation-saved")
    db.refresh(organisation)
    assert (organisation.name_en, organisation.country) == ("New Name", "NO")
    (entry,) = entries_for(db, action=AuditAction.ORGANISATION_UPDATED)
    assert entry.details == {"changes": {"name_en": ["Old Name", "New Name"], "country": ["LT", "NO"]}}


def test_saving_an_unchanged_organisation_writes_no_audit_entry(browser: TestClient, db: Session) -> None:
    organisation = add_organisation(db, "Same", slug="same-name")
    values = {"name_lt": "Same LT", "name_en": "Same", "slug": "same-name", "country": "LT"}
    response = post(browser, f"/admin/organisations/{organisation.id}/edit", values)
    assert response.headers["location"].endswith("notice=organisation-unchanged")
    assert entries_for(db, action=AuditAction.ORGANISATION_UPDATED) == []


def test_edit_to_another_organisations_short_name_is_a_conflict(browser: TestClient, db: Session) -> None:
    organisation = add_organisation(db, "Mine", slug="mine")
    values = {"name_lt": "Mano", "name_en": "Mine", "slug": "leu", "country": "LT"}
    response = post(browser, f"/admin/organisations/{organisation.id}/edit", values)
    assert response.status_code == 409
    assert 'value="Mano"' in response.text
    db.refresh(organisation)
    assert organisation.slug == "mine"


def test_unknown_organisation_is_not_found(browser: TestClient) -> None:
    assert browser.get("/admin/organisations/987654/edit").status_code == 404
    assert browser.get("/admin/organisations/987654/merge").status_code == 404
    assert post(browser, "/admin/organisations/987654/edit", NEW).status_code == 404


# --- merging ----------------------------------------------------------------------------------------


def test_merge_confirmation_says_what_moves(browser: TestClient, db: Session) -> None:
    duplicate = add_organisation(db, "Duplicate")
    kept = by_slug(db, "leu")
    assert kept is not None
    for _ in range(2):
        make_user(db, organisation=duplicate)
    add_token(db, duplicate)
    chooser = browser.get(f"/admin/organisations/{duplicate.id}/merge")
    assert chooser.status_code == 200
    assert f'<option value="{duplicate.id}"' not in chooser.text  # not offered as its own target
    page = post(browser, f"/admin/organisations/{duplicate.id}/merge", {"keep_id": str(kept.id)})
    assert page.status_code == 200
    assert "<dt>People who move</dt><dd>2</dd>" in page.text
    assert "<dt>Other records that move (API tokens and the like)</dt><dd>1</dd>" in page.text
    assert f'name="keep_id" value="{kept.id}"' in page.text and 'name="confirm" value="yes"' in page.text
    # Seeing what would move changes nothing.
    assert by_slug(db, duplicate.slug) is not None
    assert entries_for(db, action=AuditAction.ORGANISATION_MERGED) == []


def test_merge_moves_people_and_tokens_and_deletes_the_merged_one(browser: TestClient, db: Session) -> None:
    duplicate = add_organisation(db, "Duplicate")
    kept = by_slug(db, "leu")
    assert kept is not None
    movers = [make_user(db, organisation=duplicate) for _ in range(3)]
    token = add_token(db, duplicate)
    duplicate_id = duplicate.id
    response = post(browser, f"/admin/organisations/{duplicate_id}/merge", {"keep_id": str(kept.id), "confirm": "yes"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=organisations-merged")
    db.expire_all()
    assert db.get(Organisation, duplicate_id) is None
    assert {db.get(User, mover.id).organisation_id for mover in movers} == {kept.id}  # type: ignore[union-attr]
    assert db.get(ApiToken, token.id).organisation_id == kept.id  # type: ignore[union-attr]
    (entry,) = entries_for(db, action=AuditAction.ORGANISATION_MERGED)
    assert entry.target_id == str(kept.id)
    assert entry.details["people"] == 3 and entry.details["other_records"] == {"api_tokens.organisation_id": 1}
    assert entry.details["merged"]["name_en"] == "Duplicate"
    assert entry.details["kept"]["name_lt"] == kept.name_lt
    # The same confirmation sent again changes nothing and says it is done.
    again = post(browser, f"/admin/organisations/{duplicate_id}/merge", {"keep_id": str(kept.id), "confirm": "yes"})
    assert again.status_code == 303
    assert len(entries_for(db, action=AuditAction.ORGANISATION_MERGED)) == 1


def test_merging_into_itself_is_refused(browser: TestClient, db: Session) -> None:
    organisation = add_organisation(db)
    for confirm in ("", "yes"):
        response = post(
            browser,
            f"/admin/organisations/{organisation.id}/merge",
            {"keep_id": str(organisation.id), "confirm": confirm},
        )
        assert response.status_code == 422
        assert "cannot be merged into itself" in response.text
    assert by_slug(db, organisation.slug) is not None


@pytest.mark.parametrize("keep_id", ["", "987654", "abc"])
def test_merging_into_a_missing_organisation_is_refused(browser: TestClient, db: Session, keep_id: str) -> None:
    organisation = add_organisation(db)
    response = post(browser, f"/admin/organisations/{organisation.id}/merge", {"keep_id": keep_id, "confirm": "yes"})
    assert response.status_code == 422
    assert 'href="#field-keep_id"' in response.text
    assert by_slug(db, organisation.slug) is not None


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [{Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_organisation_pages_are_for_administrators_only(
    app: FastAPI, db: Session, settings: Settings, roles: set[Role]
) -> None:
    organisation = add_organisation(db)
    outsider = signed_in(app, db, settings, make_user(db, roles=roles))
    for url in (
        "/admin/organisations",
        "/admin/organisations/new",
        f"/admin/organisations/{organisation.id}/edit",
        f"/admin/organisations/{organisation.id}/merge",
    ):
        assert outsider.get(url).status_code == 403, url
    assert post(outsider, "/admin/organisations/new", NEW).status_code == 403
    merge = {"keep_id": "1", "confirm": "yes"}
    assert post(outsider, f"/admin/organisations/{organisation.id}/merge", merge).status_code == 403
    assert by_slug(db, organisation.slug) is not None
