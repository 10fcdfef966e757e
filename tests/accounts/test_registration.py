"""Self-registration, the profile page and signing out, driven through the HTML forms."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.access import Role
from tests.factories import DEFAULT_PASSWORD, csrf_from, find_user, first_organisation, make_user, post_form


def _registration(session: Session, **overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Jonas Petraitis",
        "email": "Jonas.Petraitis@Birzai.lt",
        "organisation_id": str(first_organisation(session).id),
        "job_title": "Socialinio darbo koordinatorius",
        "locale": "lt",
        "password": DEFAULT_PASSWORD,
        "password_confirm": DEFAULT_PASSWORD,
    }
    data.update(overrides)
    return data


def test_register_then_profile_then_logout_then_login(client: TestClient, db: Session) -> None:
    response = post_form(client, "/register", "/register", _registration(db))
    assert response.status_code == 303

    user = find_user(db, "jonas.petraitis@birzai.lt")
    assert user is not None
    assert user.email == "jonas.petraitis@birzai.lt"
    assert user.role_set == {Role.LEARNER}
    assert user.password_hash and user.password_hash.startswith("$argon2id$")

    profile = client.get("/profile")
    assert profile.status_code == 200
    assert "jonas.petraitis@birzai.lt" in profile.text
    assert "Socialinio darbo koordinatorius" in profile.text

    logout = client.post("/logout", data={"csrf_token": csrf_from(profile.text)})
    assert logout.status_code == 303
    assert client.get("/profile").status_code == 303

    login = post_form(client, "/login", "/login", {"email": "JONAS.petraitis@birzai.lt", "password": DEFAULT_PASSWORD})
    assert login.status_code == 303
    assert client.get("/profile").status_code == 200


def test_profile_changes_are_saved(client: TestClient, db: Session) -> None:
    post_form(client, "/register", "/register", _registration(db))
    response = post_form(
        client, "/profile", "/profile", {"full_name": "Jonas Petraitis-Šimkus", "job_title": "Vedėjas", "locale": "en"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Your profile has been saved." in page.text
    user = find_user(db, "jonas.petraitis@birzai.lt")
    assert user is not None
    assert (user.full_name, user.job_title, user.locale) == ("Jonas Petraitis-Šimkus", "Vedėjas", "en")


def test_duplicate_email_in_any_case_is_refused_with_a_clear_message(client: TestClient, db: Session) -> None:
    make_user(db, email_address="ona@prienai.lt")
    response = post_form(client, "/register?lang=en", "/register", _registration(db, email="ONA@Prienai.LT"))
    assert response.status_code == 409
    assert "An account with this email address already exists." in response.text
    # What the person typed is shown again, so nothing has to be retyped but the passwords.
    assert 'value="Jonas Petraitis"' in response.text
    assert 'value="ONA@Prienai.LT"' in response.text


def test_invalid_fields_are_reported_next_to_the_fields(client: TestClient, db: Session) -> None:
    response = post_form(
        client,
        "/register?lang=en",
        "/register",
        _registration(db, email="not-an-email", password="short", password_confirm="short", full_name=""),
    )
    assert response.status_code == 422
    assert 'id="error-email"' in response.text
    assert 'id="error-password"' in response.text
    assert 'id="error-full_name"' in response.text
    assert "Enter at least 10 characters." in response.text
    assert find_user(db, "not-an-email") is None


def test_mismatched_password_confirmation_is_refused(client: TestClient, db: Session) -> None:
    response = post_form(
        client, "/register?lang=en", "/register", _registration(db, password_confirm="something else entirely")
    )
    assert response.status_code == 422
    assert "The two passwords do not match." in response.text
    assert find_user(db, "jonas.petraitis@birzai.lt") is None


def test_unknown_organisation_is_refused(client: TestClient, db: Session) -> None:
    response = post_form(client, "/register?lang=en", "/register", _registration(db, organisation_id="999999"))
    assert response.status_code == 422
    assert "Choose your organisation from the list." in response.text


def test_registration_form_lists_the_partner_institutions_in_the_page_language(client: TestClient) -> None:
    assert "Biržų rajono savivaldybės administracija" in client.get("/register").text
    assert "Biržai District Municipality Administration" in client.get("/register?lang=en").text


def test_signed_in_person_is_sent_home_from_the_registration_page(client: TestClient, db: Session) -> None:
    post_form(client, "/register", "/register", _registration(db))
    assert client.get("/register").status_code == 303
