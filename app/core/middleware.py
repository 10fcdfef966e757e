"""Pure ASGI middleware: locale negotiation, the CSRF cookie, body size limit and security headers."""

from __future__ import annotations

import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.i18n import _, negotiate_locale, set_locale

LOCALE_COOKIE = "klasteris_lang"
CSRF_COOKIE = "klasteris_csrf"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is treated as no cookies
                return {}
            return {key: morsel.value for key, morsel in jar.items()}
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None, http_only: bool = True) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


class RequestContextMiddleware:
    """Chooses the locale (query, cookie, Accept-Language, default) and seeds the CSRF cookie."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        available = self.settings.locales
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        requested = (query.get("lang") or [None])[0]
        explicit = requested if requested in available else None
        from_cookie = cookies.get(LOCALE_COOKIE) if cookies.get(LOCALE_COOKIE) in available else None
        locale = (
            explicit
            or from_cookie
            or negotiate_locale(_header(scope, b"accept-language"), available)
            or self.settings.default_locale
        )
        set_locale(locale)
        csrf_seed = cookies.get(CSRF_COOKIE)
        new_csrf_seed = None
        if not csrf_seed or len(csrf_seed) < 20:
            csrf_seed = new_csrf_seed = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["locale"] = locale
        state["csrf_seed"] = csrf_seed
        state["csrf_seed_from_cookie"] = new_csrf_seed is None
        secure = self.settings.secure_cookies

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if explicit and explicit != cookies.get(LOCALE_COOKIE):
                    headers.append(
                        "set-cookie",
                        cookie_header(LOCALE_COOKIE, explicit, secure=secure, max_age=365 * 24 * 3600, http_only=False),
                    )
                if new_csrf_seed:
                    headers.append("set-cookie", cookie_header(CSRF_COOKIE, new_csrf_seed, secure=secure))
            await send(message)

        await self.app(scope, receive, send_with_cookies)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if self.hsts:
                    headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuses request bodies above a limit while they stream in, declared length or not."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, streamed_uploads: re.Pattern[str] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Multipart bodies to these paths are read as streams by routes that enforce their own limits.
        self.streamed_uploads = streamed_uploads

    def _streamed_upload(self, scope: Scope) -> bool:
        if self.streamed_uploads is None or not self.streamed_uploads.fullmatch(scope["path"]):
            return False
        return (_header(scope, b"content-type") or "").startswith("multipart/form-data")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._streamed_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except RequestTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _("The request is too large.").encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RequestTooLarge(Exception):
    pass
