"""One-line confirmations shown after a redirect, chosen by a key in the query string (never free text)."""

from __future__ import annotations

from fastapi import Request

from app.core.i18n import _


def _notices() -> dict[str, str]:
    return {
        "signed-in": _("You are signed in."),
        "signed-out": _("You have signed out."),
        "registered": _("Your account has been created. Welcome to Klasteris!"),
        "reset-sent": _(
            "If an account exists for that address, we have sent a password reset link to it. Check your inbox."
        ),
        "password-reset": _("Your password has been changed. Sign in with the new password."),
        "password-changed": _("Your password has been changed. Other browsers have been signed out."),
        "profile-saved": _("Your profile has been saved."),
        "attempt-closed": _("The time for this attempt ran out, so your saved answers were submitted."),
        "quiz-settings-saved": _("The quiz settings have been saved."),
        "quiz-slots-saved": _("The quiz's questions have been updated."),
        "answer-graded": _("The grade has been saved."),
        "question-saved": _("The question has been saved."),
        "question-unchanged": _("Nothing was changed, so no new version was saved."),
        "question-archived": _("The question has been archived. Find it again under “Archived”."),
        "question-restored": _("The question is back in the bank."),
        "criteria-saved": _("The completion criteria have been saved and learners' progress updated."),
        "certificate-revoked": _("The certificate has been revoked."),
        "toolkit-uploaded": _("The toolkit has been uploaded."),
        "toolkit-version-added": _("The new version has been uploaded and is now the one shown to everyone."),
        "toolkit-saved": _("The toolkit's description has been saved."),
        "toolkit-deleted": _("The toolkit has been deleted. An administrator can restore it within 30 days."),
        "toolkit-restored": _("The toolkit has been restored."),
        "organisation-created": _("The organisation has been added."),
        "organisation-saved": _("The organisation has been saved."),
        "organisation-unchanged": _("Nothing was changed."),
        "organisations-merged": _("The organisations have been merged."),
        "person-saved": _("The person's details have been saved."),
        "person-unchanged": _("Nothing was changed."),
        "roles-saved": _("The roles have been saved. They apply from the person's next page view."),
        "roles-unchanged": _("The roles were already as ticked; nothing was changed."),
        "person-deactivated": _("The account has been deactivated and its sessions ended."),
        "person-already-deactivated": _("The account was already deactivated."),
        "person-reactivated": _("The account has been reactivated. The person can sign in again."),
        "person-already-active": _("The account was already active."),
        "reset-link-sent": _("A password reset link has been sent to the person's email address."),
        "reset-link-recent": _("A password reset link was sent to this person a moment ago; no second one was sent."),
        "trainer-assigned": _("The trainer has been assigned to the course."),
        "trainer-promoted": _("The person was a learner in this course; their place is now a trainer's place."),
        "trainer-already": _("This person already is a trainer of the course; nothing was changed."),
        "trainer-removed": _("The trainer has been removed from the course. Their site role Trainer stays."),
        "trainer-not-assigned": _("This person is not a trainer of the course; nothing was changed."),
        "api-token-revoked": _("The API token has been revoked. Systems using it can no longer read the API."),
        # --- training events (keep this line) ---
        "event-registered": _("You are registered for the event."),
        "event-waiting": _("The event is full, so you are on the waiting list. We will email you if a place frees up."),
        "event-already-registered": _("You were already registered for this event; nothing was changed."),
        "event-already-waiting": _("You were already on the waiting list; nothing was changed."),
        "event-registration-cancelled": _("Your registration has been cancelled."),
        "event-no-registration": _("You had no registration for this event; nothing was changed."),
        "event-created": _("The event has been created. Open registration when it is ready."),
        "event-saved": _("The event has been saved."),
        "event-unchanged": _("Nothing was changed."),
        "event-opened": _("Registration for the event is open."),
        "event-closed": _("Registration for the event is closed; the event is planned again."),
        "event-held": _("The event has been marked as held."),
        "event-cancelled": _("The event has been cancelled and the people registered have been told."),
        "event-status-unchanged": _("The event already had this status; nothing was changed."),
        "calendar-address-reset": _("Your calendar has a new address. The old address no longer works."),
        # --- attendance (keep this line) ---
        "attendance-saved": _("The attendance has been saved and the participants' course progress updated."),
        "attendance-unchanged": _("The attendance was already as marked; nothing was changed."),
        # --- surveys (keep this line) ---
        "survey-created": _("The survey has been created. Add its questions below."),
        "survey-standard-exists": _("The standard satisfaction survey already exists; here it is. No copy was made."),
        "survey-saved": _("The survey has been saved."),
        "survey-unchanged": _("Nothing was changed."),
        "survey-question-added": _("The question has been added."),
        "survey-question-saved": _("The question has been saved."),
        "survey-question-removed": _("The question has been removed."),
        "survey-attached": _("The survey has been attached. Participants will be invited to answer it."),
        "survey-already-attached": _("The survey was already attached there; nothing was changed."),
        "survey-detached": _("The survey has been detached."),
        "survey-archived": _("The survey has been archived. Its results are kept."),
        "survey-restored": _("The survey is in use again."),
        "survey-answered": _("Thank you! Your answers have been recorded anonymously."),
        "survey-already-answered": _("You have already answered this survey, so nothing more was recorded."),
    }


def notice_for(request: Request) -> str | None:
    key = request.query_params.get("notice")
    return _notices().get(key) if key else None


def with_notice(path: str, key: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}notice={key}"
