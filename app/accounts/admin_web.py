"""Administrators' pages for people and organisations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import organisations, people
from app.accounts.admin_schemas import (
    MergeForm,
    OrganisationFilters,
    OrganisationForm,
    PeopleFilters,
    PersonForm,
    RolesForm,
    role_field,
)
from app.accounts.deps import AdminUser
from app.accounts.models import Organisation, User
from app.accounts.panels import person_panels
from app.accounts.service import list_organisations
from app.core.config import SUPPORTED_LOCALES
from app.core.deps import FormData, SessionDep, SettingsDep
from app.core.errors import DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, parse_form, query_values
from app.core.i18n import collation_key, get_locale, language_name
from app.core.notices import with_notice
from app.core.templating import render

router = APIRouter()

OrganisationId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _organisation_choices(session: Session) -> list[tuple[int, str]]:
    locale = get_locale()
    return [(organisation.id, organisation.name(locale)) for organisation in list_organisations(session)]


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in SUPPORTED_LOCALES]


# --- organisations: pages ----------------------------------------------------------------------------


@router.get("/admin/organisations", name="admin_organisations")
def organisations_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    values = query_values(request)
    try:
        filters, errors = parse_form(OrganisationFilters, values), {}
    except FormInvalid as invalid:
        filters, errors = OrganisationFilters(), invalid.errors
    locale = get_locale()
    listing = organisations.organisation_list(session, filters=filters, locale=locale)
    return render(
        request,
        "accounts/admin/organisations.html",
        {
            "listing": listing,
            "query": filters.q,
            "values": values,
            "errors": errors,
            "country_name": lambda code: organisations.country_name(code, locale),
        },
        status_code=422 if errors else 200,
    )


def _organisation_form_page(
    request: Request,
    organisation: Organisation | None,
    values: Mapping[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    current = str(values.get("country") or "") or (organisation.country if organisation else None)
    return render(
        request,
        "accounts/admin/organisation_form.html",
        {
            "organisation": organisation,
            "values": values,
            "errors": errors,
            "country_choices": organisations.country_choices(get_locale(), current=current),
        },
        status_code=status,
    )


@router.get("/admin/organisations/new", name="admin_organisation_new")
def organisation_new_form(request: Request, _user: AdminUser) -> Response:
    return _organisation_form_page(request, None, {"country": "LT"}, {})


@router.get("/admin/organisations/{organisation_id:int}/edit", name="admin_organisation_edit")
def organisation_edit_form(
    request: Request, organisation_id: OrganisationId, session: SessionDep, _user: AdminUser
) -> Response:
    organisation = organisations.organisation_or_404(session, organisation_id)
    values = {
        "name_lt": organisation.name_lt,
        "name_en": organisation.name_en,
        "slug": organisation.slug,
        "website": organisation.website or "",
        "country": organisation.country,
    }
    return _organisation_form_page(request, organisation, values, {})


def _merge_page(
    request: Request,
    session: Session,
    merged: Organisation,
    *,
    plan: organisations.MergePlan | None,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    locale = get_locale()
    targets = sorted(
        organisations.merge_targets(session, merged=merged), key=lambda org: collation_key(org.name(locale), locale)
    )
    return render(
        request,
        "accounts/admin/organisation_merge.html",
        {
            "merged": merged,
            "plan": plan,
            "choices": [(org.id, org.name(locale)) for org in targets],
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/admin/organisations/{organisation_id:int}/merge", name="admin_organisation_merge_form")
def organisation_merge_form(
    request: Request, organisation_id: OrganisationId, session: SessionDep, _user: AdminUser
) -> Response:
    merged = organisations.organisation_or_404(session, organisation_id)
    return _merge_page(request, session, merged, plan=None, values={}, errors={})


# --- people: pages -----------------------------------------------------------------------------------


@router.get("/admin/users", name="admin_people")
def people_list_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    values = query_values(request)
    try:
        filters, errors = parse_form(PeopleFilters, values), {}
    except FormInvalid as invalid:
        filters, errors = PeopleFilters(), invalid.errors
    listing = people.people_page(session, filters=filters)
    shown = {key: values.get(key, "") for key in ("q", "organisation", "role", "status")}
    return render(
        request,
        "accounts/admin/people.html",
        {
            "listing": listing,
            "values": shown,
            "errors": errors,
            "organisation_choices": _organisation_choices(session),
            "role_labels": people.role_labels(),
            "status_labels": people.status_labels(),
            "person_status": people.person_status,
        },
        status_code=422 if errors else 200,
    )


def _role_values(person: User) -> dict[str, str]:
    return {role_field(role): "on" for role in person.role_set}


@router.get("/admin/users/{user_id:int}", name="admin_person")
def person_page(request: Request, user_id: UserId, session: SessionDep, user: AdminUser) -> Response:
    person = people.person_or_404(session, user_id)
    return render(
        request,
        "accounts/admin/person.html",
        {
            "person": person,
            "panels": person_panels(session, person=person),
            "status": people.person_status(person),
            "status_labels": people.status_labels(),
            "role_labels": people.role_labels(),
            "role_fields": [(role_field(role), label) for role, label in people.role_labels().items()],
            "role_values": _role_values(person),
            "errors": {},
            "is_self": person.id == user.id,
            "language": language_name(person.locale) if person.locale in SUPPORTED_LOCALES else person.locale,
        },
    )


def _roles_page(
    request: Request, person: User, *, role_values: Mapping[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "accounts/admin/person_roles.html",
        {
            "person": person,
            "role_fields": [(role_field(role), label) for role, label in people.role_labels().items()],
            "role_values": role_values,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/admin/users/{user_id:int}/roles", name="admin_person_roles_form")
def person_roles_form(request: Request, user_id: UserId, session: SessionDep, _user: AdminUser) -> Response:
    person = people.person_or_404(session, user_id)
    if person.anonymised_at is not None:
        return _see_other(f"/admin/users/{person.id}")
    return _roles_page(request, person, role_values=_role_values(person), errors={})


def _person_form_page(
    request: Request,
    session: Session,
    person: User,
    values: Mapping[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "accounts/admin/person_edit.html",
        {
            "person": person,
            "values": values,
            "errors": errors,
            "organisation_choices": _organisation_choices(session),
            "language_choices": _language_choices(),
        },
        status_code=status,
    )


@router.get("/admin/users/{user_id:int}/edit", name="admin_person_edit")
def person_edit_form(request: Request, user_id: UserId, session: SessionDep, _user: AdminUser) -> Response:
    person = people.person_or_404(session, user_id)
    if person.anonymised_at is not None:
        return _see_other(f"/admin/users/{person.id}")
    values = {
        "full_name": person.full_name,
        "job_title": person.job_title,
        "organisation_id": person.organisation_id or "",
        "locale": person.locale,
    }
    return _person_form_page(request, session, person, values, {})


# --- organisations: changes (registered after the pages) ---------------------------------------------


@router.post("/admin/organisations/new", name="admin_organisation_create")
def organisation_create(request: Request, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    try:
        data = parse_form(OrganisationForm, form)
        organisations.create_organisation(session, form=data, by=user, ip_address=_client_ip(request))
    except FormInvalid as invalid:
        return _organisation_form_page(request, None, form, invalid.errors, status=422)
    except DomainError as error:
        return _organisation_form_page(request, None, form, errors_from(error), status=error.status_code)
    return _see_other(with_notice("/admin/organisations", "organisation-created"))


@router.post("/admin/organisations/{organisation_id:int}/edit", name="admin_organisation_update")
def organisation_update(
    request: Request, organisation_id: OrganisationId, session: SessionDep, user: AdminUser, form: FormData
) -> Response:
    organisation = organisations.organisation_or_404(session, organisation_id)
    try:
        data = parse_form(OrganisationForm, form)
        changes = organisations.update_organisation(
            session, organisation=organisation, form=data, by=user, ip_address=_client_ip(request)
        )
    except FormInvalid as invalid:
        return _organisation_form_page(request, organisation, form, invalid.errors, status=422)
    except DomainError as error:
        return _organisation_form_page(request, organisation, form, errors_from(error), status=error.status_code)
    return _see_other(
        with_notice("/admin/organisations", "organisation-saved" if changes else "organisation-unchanged")
    )


@router.post("/admin/organisations/{organisation_id:int}/merge", name="admin_organisation_merge")
def organisation_merge(
    request: Request, organisation_id: OrganisationId, session: SessionDep, user: AdminUser, form: FormData
) -> Response:
    """Two steps, like a delete confirmation: the chosen organisation shows what moves; `confirm` merges."""
    try:
        data = parse_form(MergeForm, form)
    except FormInvalid as invalid:
        merged = organisations.organisation_or_404(session, organisation_id)
        return _merge_page(request, session, merged, plan=None, values=form, errors=invalid.errors, status=422)
    merged = session.get(Organisation, organisation_id)
    if merged is None:
        if organisations.already_merged(session, organisation_id=organisation_id, keep_id=data.keep_id):
            # The same confirmation sent twice: the first one merged them.
            return _see_other(with_notice("/admin/organisations", "organisations-merged"))
        raise organisations.organisation_missing()
    try:
        if not data.confirm:
            plan = organisations.merge_plan(session, merged=merged, keep_id=data.keep_id)
            return _merge_page(request, session, merged, plan=plan, values=form, errors={})
        organisations.merge_organisations(
            session, merged=merged, keep_id=data.keep_id, by=user, ip_address=_client_ip(request)
        )
    except DomainError as error:
        return _merge_page(request, session, merged, plan=None, values=form, errors=errors_from(error), status=422)
    return _see_other(with_notice("/admin/organisations", "organisations-merged"))


# --- people: changes (registered after the pages) ----------------------------------------------------


@router.post("/admin/users/{user_id:int}/edit", name="admin_person_update")
def person_update(request: Request, user_id: UserId, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    person = people.person_or_404(session, user_id)
    try:
        data = parse_form(PersonForm, form)
        changed = people.update_person(session, person=person, form=data, by=user, ip_address=_client_ip(request))
    except FormInvalid as invalid:
        return _person_form_page(request, session, person, form, invalid.errors, status=422)
    except DomainError as error:
        if error.field is None:
            raise
        return _person_form_page(request, session, person, form, errors_from(error), status=error.status_code)
    return _see_other(with_notice(f"/admin/users/{person.id}", "person-saved" if changed else "person-unchanged"))


@router.post("/admin/users/{user_id:int}/roles", name="admin_person_roles")
def person_roles(request: Request, user_id: UserId, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    person = people.person_or_404(session, user_id)
    typed = {name: value for name, value in form.items() if name.startswith("role_")}
    try:
        data = parse_form(RolesForm, form)
        changed = people.set_roles(session, person=person, roles=data.roles, by=user, ip_address=_client_ip(request))
    except FormInvalid as invalid:
        return _roles_page(request, person, role_values=typed, errors=invalid.errors, status=422)
    except DomainError as error:
        if error.field is None:
            raise
        return _roles_page(request, person, role_values=typed, errors=errors_from(error), status=error.status_code)
    return _see_other(with_notice(f"/admin/users/{person.id}", "roles-saved" if changed else "roles-unchanged"))


@router.post("/admin/users/{user_id:int}/deactivate", name="admin_person_deactivate")
def person_deactivate(request: Request, user_id: UserId, session: SessionDep, user: AdminUser) -> Response:
    person = people.person_or_404(session, user_id)
    changed = people.deactivate(session, person=person, by=user, ip_address=_client_ip(request))
    return _see_other(
        with_notice(f"/admin/users/{person.id}", "person-deactivated" if changed else "person-already-deactivated")
    )


@router.post("/admin/users/{user_id:int}/reactivate", name="admin_person_reactivate")
def person_reactivate(request: Request, user_id: UserId, session: SessionDep, user: AdminUser) -> Response:
    person = people.person_or_404(session, user_id)
    changed = people.reactivate(session, person=person, by=user, ip_address=_client_ip(request))
    return _see_other(
        with_notice(f"/admin/users/{person.id}", "person-reactivated" if changed else "person-already-active")
    )


@router.post("/admin/users/{user_id:int}/password-reset", name="admin_person_password_reset")
def person_password_reset(
    request: Request, user_id: UserId, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> Response:
    person = people.person_or_404(session, user_id)
    sent = people.send_reset_link(session, settings=settings, person=person, by=user, ip_address=_client_ip(request))
    return _see_other(with_notice(f"/admin/users/{person.id}", "reset-link-sent" if sent else "reset-link-recent"))
