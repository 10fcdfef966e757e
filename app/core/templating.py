"""Jinja2 environment with gettext, locale-aware filters and the page context every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from app.core import i18n
from app.core.csrf import CSRF_FIELD, csrf_token
from app.core.notices import notice_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


def url_with_lang(request: Request, locale: str) -> str:
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    query.append(("lang", locale))
    return f"{request.url.path}?{urlencode(query)}"


def _page_context(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "current_user": getattr(request.state, "user", None),
        "current_roles": getattr(request.state, "user_roles", frozenset()),
        "current_user_name": getattr(request.state, "user_name", ""),
        "locale": i18n.get_locale(),
        "locales": settings.locales,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "base_url": settings.base_url,
        "notice": notice_for(request),
    }


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html", "xml")),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.unformatted_gettext, i18n.unformatted_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = i18n.format_date_local
    env.filters["day"] = i18n.format_day
    env.filters["number"] = i18n.format_number
    env.filters["share"] = i18n.format_share
    env.filters["filesize"] = i18n.format_file_size
    env.filters["pick"] = i18n.pick
    env.globals["language_name"] = i18n.language_name
    env.globals["url_with_lang"] = url_with_lang
    return Jinja2Templates(env=env, context_processors=[_page_context])


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context or {}, status_code=status_code)
