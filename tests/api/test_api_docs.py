"""The API's OpenAPI document (public, API routes only) and its server-rendered reference page."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.access import app_routes
from tests.progress.page_setup import page_text

OPERATIONS = {
    ("/api/v1/completions", "get"),
    ("/api/v1/users", "get"),
    ("/api/v1/users/{user_id}", "get"),
    ("/api/v1/courses", "get"),
    ("/api/v1/courses/{code}", "get"),
    ("/api/v1/organisations", "get"),
    ("/api/v1/organisations/{organisation_id}", "get"),
}


def _document(client: TestClient, language: str = "en") -> dict:  # type: ignore[type-arg]
    answer = client.get("/api/v1/openapi.json", headers={"Accept-Language": language})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def test_openapi_document_is_public_and_describes_only_the_api(client: TestClient) -> None:
    document = _document(client)
    assert document["openapi"].startswith("3.")
    assert {(path, method) for path, methods in document["paths"].items() for method in methods} == OPERATIONS
    served = {route.path for route in app_routes(client.app) if route.path.startswith("/api/v1/")}  # type: ignore[arg-type]
    assert set(document["paths"]) == served - {"/api/v1/openapi.json", "/api/v1/docs"}


def test_every_operation_needs_the_bearer_token_and_documents_its_errors(client: TestClient) -> None:
    document = _document(client)
    scheme = document["components"]["securitySchemes"]["ApiToken"]
    assert scheme == {"type": "http", "scheme": "bearer", "bearerFormat": "kls_…", "description": scheme["description"]}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            label = f"{method} {path}"
            assert operation["security"] == [{"ApiToken": []}], label
            assert {"200", "401", "422", "429"} <= set(operation["responses"]), label
            assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"], label
            assert "Retry-After" in operation["responses"]["429"]["headers"], label
            assert operation["summary"] and operation["description"], label
    schemas = document["components"]["schemas"]
    assert "password_hash" not in str(schemas)
    assert set(schemas["CompletionRecordOut"]["properties"]) >= {"record_id", "certificate_url", "quiz_grade"}


def test_the_document_speaks_the_readers_language(client: TestClient) -> None:
    # Without catalogue entries the msgid is the text; the same document must come back either way.
    english = _document(client, "en")
    again = _document(client, "en")
    assert english == again
    assert english["paths"]["/api/v1/completions"]["get"]["summary"] == "Completion records"


def test_reference_page_lists_every_endpoint_parameter_and_field(client: TestClient, app: FastAPI) -> None:
    page = client.get("/api/v1/docs?lang=en")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page_text(page.text.replace("<wbr>", ""))
    document = _document(client)
    assert page.text.count("<h1>") == 1
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {path}" in text
            for parameter in operation.get("parameters", []):
                assert parameter["name"] in text, (path, parameter["name"])
    for name, schema in document["components"]["schemas"].items():
        assert f'id="model-{name}"' in page.text
        for field in schema.get("properties", {}):
            assert field in text, (name, field)
    for explained in ("Authorization: Bearer", "next_cursor", "X-RateLimit-Remaining", "Retry-After", "429", "401"):
        assert explained in text, explained
    assert "120 requests per minute" in text
    # No scripts from anywhere: the site's content security policy allows none.
    assert "<script" not in page.text


def test_reference_page_needs_no_sign_in(client: TestClient) -> None:
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    assert "<title>" in answer.text
