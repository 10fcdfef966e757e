"""Styled error pages: 404 for unknown addresses, 500 without leaking internals, 413 for huge bodies."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from app.core.access import PUBLIC
from tests.factories import csrf_from


def test_unknown_page_gets_a_styled_404(client: TestClient) -> None:
    response = client.get("/no/such/page?lang=en")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert 'href="/static/css/site.css"' in response.text


def test_unexpected_error_gets_a_styled_500_without_details(app: FastAPI) -> None:
    @app.get("/boom", dependencies=[Depends(PUBLIC)])
    def boom() -> None:  # a route that exists only in this test
        raise RuntimeError("secret internal detail")

    response = TestClient(app, raise_server_exceptions=False).get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_oversized_form_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_control_characters_in_a_form_are_refused_with_400(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login?lang=en", data={"csrf_token": token, "email": "a\x00b@example.lt", "password": "x"})
    assert response.status_code == 400
    assert "characters that are not allowed" in response.text
