"""Home page and the health check used by load balancers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import text

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.access import PUBLIC
from app.core.deps import SessionDep
from app.core.templating import render

router = APIRouter()

OptionalUser = Annotated[User | None, Depends(PUBLIC)]


@router.get("/", name="home")
def home(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    return render(request, "site/home.html", {"organisations": accounts.list_organisations(session)})


@router.get("/healthz", name="health", response_class=PlainTextResponse)
def health(session: SessionDep, _user: OptionalUser) -> Response:
    session.execute(text("SELECT 1"))
    return PlainTextResponse("ok")
