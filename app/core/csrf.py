"""CSRF protection for every state-changing request (a token derived from a per-browser cookie)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from app.core.deps import form_data
from app.core.errors import Forbidden
from app.core.i18n import _
from app.core.security import csrf_token_for, csrf_token_valid

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


STREAMED_BODY_FLAG = "_klasteris_reads_its_own_body"
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])


def checks_csrf_in_stream(endpoint: Endpoint) -> Endpoint:
    """Marks a route that reads its multipart body as a stream and checks the token itself (its first field).

    Parsing the form here would spool every uploaded file before the route could refuse it.
    """
    setattr(endpoint, STREAMED_BODY_FLAG, True)
    return endpoint


def csrf_token(request: Request) -> str:
    seed = getattr(request.state, "csrf_seed", None)
    return csrf_token_for(request.app.state.settings.secret, seed) if seed else ""


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: unsafe methods need the token in the form or the X-CSRF-Token header."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        streamed = getattr(request.scope.get("endpoint"), STREAMED_BODY_FLAG, False)
        if streamed and request.headers.get("content-type", "").startswith("multipart/form-data"):
            return
        submitted = (await form_data(request)).get(CSRF_FIELD)
    check_csrf_token(request, submitted)


def check_csrf_token(request: Request, submitted: str | None) -> None:
    # A seed the browser did not send back cannot vouch for the form.
    seed = request.state.csrf_seed if request.state.csrf_seed_from_cookie else None
    if not csrf_token_valid(request.app.state.settings.secret, seed, submitted):
        raise Forbidden(
            _("This form has expired or was sent from another site. Go back, reload the page and try again.")
        )
