"""Certificates through HTTP: issued on completion, downloaded by their holder, verified publicly, revoked by admins."""

from __future__ import annotations

import re

import pytest
from babel.dates import format_date
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.core.i18n import local_date
from app.courses.service import assign_trainer
from app.progress.certificates import CODE_ALPHABET, new_code, normalise_code
from app.progress.competencies import competency_profile
from app.progress.models import Certificate, CompletionState
from tests.factories import csrf_from, make_user
from tests.progress.page_setup import (
    CODE,
    certificate_of,
    client_for,
    completed_learner,
    completion_of,
    enrol_directly,
    extra_course,
    learner_of,
    page_text,
    pdf_text,
    take_quiz,
    tick_lessons,
)
from tests.quizzes.quiz_setup import trainer_of

pytestmark = pytest.mark.usefixtures("synced")
HOLDER = "Žydrūnė Čepulytė"
CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}(-[{CODE_ALPHABET}]{{4}}){{3}}$")
REASON = "Issued to a duplicate account by mistake."


def _admin(db: Session) -> User:
    return make_user(db, roles={Role.ADMIN}, locale="en", full_name="Admin Administratorė")


def _certificate_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Certificate)) or 0


# --- issuing ---------------------------------------------------------------------------------------


def test_certificate_is_issued_only_when_the_course_is_completed(db: Session) -> None:
    learner = learner_of(db, CODE, full_name=HOLDER, locale="en")
    tick_lessons(db, learner)
    take_quiz(db, learner, 50.0)  # failed, attempts left
    assert _certificate_count(db) == 0
    take_quiz(db, learner, 80.0)
    completion = completion_of(db, learner)
    assert completion is not None and completion.state == CompletionState.COMPLETED
    certificate = certificate_of(db, learner)
    assert CODE_SHAPE.match(certificate.code), certificate.code
    assert certificate.holder_name == HOLDER
    assert certificate.locale == "en"
    assert certificate.completed_at == completion.completed_at
    assert certificate.details["course_code"] == CODE
    assert certificate.details["competencies"][0]["code"] == "A1"
    assert certificate.details["competencies"][0]["level"] == 2
    assert certificate.revoked_at is None
    take_quiz(db, learner, 100.0)  # a better grade later issues nothing new
    assert _certificate_count(db) == 1


def test_holder_downloads_the_pdf_with_name_and_code_and_gets_the_same_bytes_again(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en")
    certificate = certificate_of(db, learner)
    browser = client_for(app, learner)

    first = browser.get(f"/my/certificates/{certificate.code}")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    disposition = first.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="[^"]+\.pdf"', disposition), disposition
    assert certificate.code in disposition
    text = pdf_text(first.content)
    assert HOLDER in text
    assert certificate.code in text
    assert f"/verify/{certificate.code}" in text
    assert "Test course" in text

    db.expire_all()
    assert db.get(Certificate, certificate.id).pdf == first.content  # type: ignore[union-attr]
    second = browser.get(f"/my/certificates/{certificate.code}")
    assert second.status_code == 200
    assert second.content == first.content


def test_issued_certificate_keeps_the_name_it_was_issued_with(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en")
    certificate = certificate_of(db, learner)
    learner.full_name = "Žydrūnė Kitaip"
    db.commit()
    browser = client_for(app, learner)
    assert HOLDER in pdf_text(browser.get(f"/my/certificates/{certificate.code}").content)
    assert HOLDER in client_for(app).get(f"/verify/{certificate.code}?lang=en").text


def test_only_the_holder_and_administrators_can_download_a_certificate(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en")
    url = f"/my/certificates/{certificate_of(db, learner).code}"
    own = client_for(app, learner).get(url)
    assert own.status_code == 200

    other_learner = completed_learner(db, full_name="Jonas Jonaitis", locale="en")
    trainer = trainer_of(db, CODE)
    for person in (other_learner, trainer):
        response = client_for(app, person).get(url)
        assert response.status_code == 404, person.email
        assert response.headers["content-type"].startswith("text/html")
    assert client_for(app).get(url).status_code in (302, 303)  # anonymous: asked to sign in

    admin = client_for(app, _admin(db)).get(url)
    assert admin.status_code == 200
    assert admin.content == own.content


def test_english_certificate_is_written_in_english(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en")
    certificate = certificate_of(db, learner)
    text = pdf_text(client_for(app, learner).get(f"/my/certificates/{certificate.code}").content)
    completed_on = local_date(certificate.completed_at)
    assert "Certificate" in text
    assert "Test course" in text and "Bandomasis kursas" not in text
    assert format_date(completed_on, "long", locale="en") in text
    assert " m. " not in text


def test_lithuanian_certificate_is_written_in_lithuanian(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="lt")
    certificate = certificate_of(db, learner)
    text = pdf_text(client_for(app, learner).get(f"/my/certificates/{certificate.code}").content)
    completed_on = local_date(certificate.completed_at)
    lithuanian_date = format_date(completed_on, "long", locale="lt")
    assert f"{completed_on.year} m." in lithuanian_date  # what the assertion below relies on
    assert lithuanian_date in text
    assert "Bandomasis kursas" in text and "Test course" not in text


# --- codes -----------------------------------------------------------------------------------------


def test_codes_are_sixteen_crockford_characters_in_four_groups_and_unique() -> None:
    codes = [new_code() for _ in range(200)]
    assert all(CODE_SHAPE.match(code) for code in codes), codes[:5]
    assert len(set(codes)) == 200
    assert not set("ILOU") & set("".join(codes))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("K7Q2-M9XD-4HBT-Z3PN", "K7Q2-M9XD-4HBT-Z3PN"),
        ("k7q2-m9xd-4hbt-z3pn", "K7Q2-M9XD-4HBT-Z3PN"),
        ("K7Q2M9XD4HBTZ3PN", "K7Q2-M9XD-4HBT-Z3PN"),
        ("  k7q2 m9xd 4hbt z3pn ", "K7Q2-M9XD-4HBT-Z3PN"),
        ("1O2I-3L45-6789-ABCD", "1021-3145-6789-ABCD"),
        ("o0il-OOII-LL00-abcd", "0011-0011-1100-ABCD"),
    ],
)
def test_normalise_code_accepts_what_people_type(typed: str, expected: str) -> None:
    assert normalise_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "K7Q2-M9XD-4HBT-Z3P", "K7Q2-M9XD-4HBT-Z3PNX", "K7Q2-M9XD-4HBT-Z3PU", "K7Q2-M9XD-4HBT-Z3P!", "K7Q2_M9XD_4HBT_Z3PN",
     "Ą7Q2-M9XD-4HBT-Z3PN", "../../etc/passwd"],
)  # fmt: skip
def test_normalise_code_refuses_wrong_lengths_and_characters(typed: str) -> None:
    assert normalise_code(typed) is None


# --- public verification ---------------------------------------------------------------------------


def test_anyone_can_verify_a_valid_certificate(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="lt")
    certificate = certificate_of(db, learner)
    page = client_for(app).get(f"/verify/{certificate.code}?lang=en")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "This certificate is valid" in text
    assert HOLDER in text
    assert "SC9 · Test course" in text
    assert format_date(local_date(certificate.completed_at), "medium", locale="en") in text
    assert certificate.code in text
    assert "revoked" not in text.lower()


def test_verification_accepts_typed_variants_of_the_code(app: FastAPI, db: Session) -> None:
    certificate = certificate_of(db, completed_learner(db, full_name=HOLDER))
    anonymous = client_for(app)
    misread = certificate.code.replace("0", "O").replace("1", "l")
    for typed in (certificate.code.lower(), certificate.code.replace("-", ""), misread.lower()):
        page = anonymous.get(f"/verify/{typed}?lang=en")
        assert page.status_code == 200, typed
        assert HOLDER in page.text and "This certificate is valid" in page.text


def test_unknown_or_garbage_codes_show_not_found(app: FastAPI, db: Session) -> None:
    issued = certificate_of(db, completed_learner(db, full_name=HOLDER)).code
    unknown = next(code for code in iter(new_code, None) if code != issued)
    anonymous = client_for(app)
    for typed in (unknown, "not-a-code", "K7Q2-M9XD-4HBT-Z3PU", "x" * 300):
        page = anonymous.get(f"/verify/{typed}?lang=en")
        assert page.status_code == 404, typed
        assert "No certificate with this code was found" in page.text
        assert HOLDER not in page.text
        assert "This certificate is valid" not in page.text


def test_verify_form_redirects_a_typed_code_to_its_canonical_address(app: FastAPI, db: Session) -> None:
    code = certificate_of(db, completed_learner(db, full_name=HOLDER)).code
    anonymous = client_for(app)
    form = anonymous.get("/verify?lang=en")
    assert form.status_code == 200 and 'name="code"' in form.text
    typed = code.replace("-", " ").lower()
    redirect = anonymous.get("/verify", params={"code": typed, "lang": "en"})
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/verify/{code}"
    assert HOLDER in anonymous.get(redirect.headers["location"]).text


def test_verify_form_shows_a_malformed_code_again_with_the_error(client: TestClient) -> None:
    malformed = client.get("/verify", params={"code": "12345", "lang": "en"})
    assert malformed.status_code == 422
    assert "A code has 16 letters and digits" in malformed.text
    assert 'value="12345"' in malformed.text  # what was typed is shown again


# --- revocation ------------------------------------------------------------------------------------


def _revoke_url(certificate: Certificate) -> str:
    return f"/admin/certificates/{certificate.code}/revoke"


def test_admin_revokes_with_a_reason_and_the_verify_page_says_so(app: FastAPI, db: Session) -> None:
    certificate = certificate_of(db, completed_learner(db, full_name=HOLDER))
    admin = client_for(app, _admin(db))
    form = admin.get(_revoke_url(certificate))
    assert form.status_code == 200
    assert HOLDER in form.text

    for blank in ({"reason": ""}, {"reason": "   "}, {}):
        refused = admin.post(_revoke_url(certificate), data={"csrf_token": csrf_from(form.text), **blank})
        assert refused.status_code == 422, blank
        assert 'class="field-error"' in refused.text
        assert "Enter at least 3 characters." in refused.text or "This field is required." in refused.text
        db.expire_all()
        assert db.get(Certificate, certificate.id).revoked_at is None  # type: ignore[union-attr]

    done = admin.post(_revoke_url(certificate), data={"csrf_token": csrf_from(form.text), "reason": REASON})
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/verify/{certificate.code}")
    db.expire_all()
    revoked = db.get(Certificate, certificate.id)
    assert revoked is not None and revoked.revoked_at is not None and revoked.revoked_reason == REASON

    page = client_for(app).get(f"/verify/{certificate.code}?lang=en")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "This certificate has been revoked" in text
    assert REASON in text
    assert "This certificate is valid" not in text


def test_revoking_twice_keeps_the_first_reason(app: FastAPI, db: Session) -> None:
    certificate = certificate_of(db, completed_learner(db, full_name=HOLDER))
    admin = client_for(app, _admin(db))
    token = csrf_from(admin.get(_revoke_url(certificate)).text)
    assert admin.post(_revoke_url(certificate), data={"csrf_token": token, "reason": REASON}).status_code == 303
    db.expire_all()
    first_date = db.get(Certificate, certificate.id).revoked_at  # type: ignore[union-attr]
    again = admin.post(_revoke_url(certificate), data={"csrf_token": token, "reason": "A second, different reason."})
    assert again.status_code == 303
    db.expire_all()
    row = db.get(Certificate, certificate.id)
    assert row is not None and row.revoked_reason == REASON and row.revoked_at == first_date
    assert "A second, different reason." not in client_for(app).get(f"/verify/{certificate.code}?lang=en").text


def test_learners_and_trainers_cannot_revoke(app: FastAPI, db: Session) -> None:
    holder = completed_learner(db, full_name=HOLDER)
    certificate = certificate_of(db, holder)
    for person in (holder, trainer_of(db, CODE)):
        browser = client_for(app, person)
        assert browser.get(_revoke_url(certificate)).status_code == 403
        token = csrf_from(browser.get("/my/learning").text)
        response = browser.post(_revoke_url(certificate), data={"csrf_token": token, "reason": REASON})
        assert response.status_code == 403
    db.expire_all()
    assert db.get(Certificate, certificate.id).revoked_at is None  # type: ignore[union-attr]


def test_revoke_page_of_an_unknown_code_is_not_found(app: FastAPI, db: Session) -> None:
    admin = client_for(app, _admin(db))
    assert admin.get(f"/admin/certificates/{new_code()}/revoke").status_code == 404


def _a1_row(html: str) -> str:
    row = html.split('href="/competencies#competency-A1"', 1)[1]
    return page_text(row.split("</tr>", 1)[0])


def test_revoked_course_no_longer_counts_in_the_competency_profile(app: FastAPI, db: Session) -> None:
    holder = completed_learner(db, full_name=HOLDER, locale="en")
    certificate = certificate_of(db, holder)
    learner_browser = client_for(app, holder)
    assert "2 · Practitioner" in _a1_row(learner_browser.get("/my/competencies").text)

    admin = client_for(app, _admin(db))
    token = csrf_from(admin.get(_revoke_url(certificate)).text)
    assert admin.post(_revoke_url(certificate), data={"csrf_token": token, "reason": REASON}).status_code == 303

    after = _a1_row(learner_browser.get("/my/competencies").text)
    assert "Not yet attained" in after and "Practitioner" not in after
    db.expire_all()
    assert competency_profile(db, user=holder).attained == 0
    completion = completion_of(db, holder)
    assert completion is not None and completion.state == CompletionState.COMPLETED  # the completion stays


# --- Open Badges credential ------------------------------------------------------------------------


def test_credential_json_describes_the_certificate_and_its_revocation(app: FastAPI, db: Session) -> None:
    certificate = certificate_of(db, completed_learner(db, full_name=HOLDER, locale="en"))
    anonymous = client_for(app)
    url = f"/verify/{certificate.code}/credential.json"
    response = anonymous.get(url)
    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    credential = response.json()
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["credentialSubject"]["name"] == HOLDER
    assert credential["credentialSubject"]["achievement"]["name"] == "Test course"
    assert credential["name"] == "Test course"
    assert credential["id"].endswith(f"/verify/{certificate.code}")
    assert [item["targetCode"] for item in credential["credentialSubject"]["achievement"]["alignment"]] == ["A1"]
    assert "credentialStatus" not in credential

    assert anonymous.get(f"/verify/{certificate.code.lower()}/credential.json").status_code == 200
    assert anonymous.get(f"/verify/{new_code()}/credential.json").status_code == 404

    admin = client_for(app, _admin(db))
    token = csrf_from(admin.get(_revoke_url(certificate)).text)
    admin.post(_revoke_url(certificate), data={"csrf_token": token, "reason": REASON})
    revoked = anonymous.get(url).json()
    assert revoked["credentialStatus"]["revoked"] is True


# --- administrators' list --------------------------------------------------------------------------


def _two_holders(db: Session) -> tuple[str, str]:
    """Codes of two certificates: Žydrūnė Čepulytė's and Jonas Jonaitis's."""
    zydrune = completed_learner(db, full_name=HOLDER, email_address="zydrune.cepulyte@example.lt")
    jonas = completed_learner(db, full_name="Jonas Jonaitis", email_address="jonas.j@example.lt")
    return certificate_of(db, zydrune).code, certificate_of(db, jonas).code


def _finds_only(admin: TestClient, query: str, wanted: str, unwanted: str) -> None:
    page = admin.get("/admin/certificates", params={"q": query, "lang": "en"})
    assert page.status_code == 200
    assert wanted in page.text, f"{query!r} does not find {wanted}"
    assert unwanted not in page.text, f"{query!r} also finds {unwanted}"


def test_admin_list_finds_certificates_by_name_email_and_code(app: FastAPI, db: Session) -> None:
    zydrune_code, jonas_code = _two_holders(db)
    admin = client_for(app, _admin(db))
    everything = admin.get("/admin/certificates?lang=en")
    assert everything.status_code == 200
    assert zydrune_code in everything.text and jonas_code in everything.text
    for query in ("Jonaitis", "jonaitis", "JONAS.J@EXAMPLE", jonas_code, jonas_code.lower().replace("-", "")):
        _finds_only(admin, query, jonas_code, zydrune_code)
    for query in ("zydrune.cepulyte", "ytė", zydrune_code):
        _finds_only(admin, query, zydrune_code, jonas_code)
    nothing = admin.get("/admin/certificates", params={"q": "Nobody Such", "lang": "en"})
    assert "No certificate matches." in nothing.text
    assert zydrune_code not in nothing.text


def test_admin_list_finds_holders_whose_names_start_with_lithuanian_capitals(app: FastAPI, db: Session) -> None:
    zydrune_code, jonas_code = _two_holders(db)
    admin = client_for(app, _admin(db))
    for query in ("Čepulytė", "čepulytė", "Žydrūnė", "žydrūnė čepulytė"):
        _finds_only(admin, query, zydrune_code, jonas_code)


def test_admin_list_is_closed_to_trainers_and_learners(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER)
    trainer = make_user(db, roles={Role.TRAINER})
    assign_trainer(db, code=CODE, user=trainer)
    db.commit()
    for person in (learner, trainer):
        assert client_for(app, person).get("/admin/certificates").status_code == 403


def test_certificates_of_different_courses_get_different_codes(db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER)
    course = extra_course(db, lessons=1)
    enrol_directly(db, learner, course)
    db.commit()
    tick_lessons(db, learner, ["l1"], code=course.code)
    first, second = certificate_of(db, learner), certificate_of(db, learner, code=course.code)
    assert first.code != second.code
    assert second.details["course_code"] == course.code
