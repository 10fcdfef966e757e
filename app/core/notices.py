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
    }


def notice_for(request: Request) -> str | None:
    key = request.query_params.get("notice")
    return _notices().get(key) if key else None


def with_notice(path: str, key: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}notice={key}"
