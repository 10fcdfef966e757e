"""The API's OpenAPI document (from the /api/v1 routes only) and its server-rendered reference page."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import RouteContext, iter_route_contexts

from app.accounts.deps import OptionalUser
from app.api.schemas import DEFAULT_LIMIT, MAX_LIMIT, N_
from app.core.i18n import get_locale, gettext
from app.core.templating import render

API_PATH = "/api/v1/"
_COMPONENT_REF = "#/components/schemas/"
_TRANSLATED_KEYS = frozenset({"description", "summary"})

router = APIRouter()


# --- the OpenAPI document ----------------------------------------------------------------------------


def _api_routes(app: FastAPI) -> list[RouteContext]:
    return [
        context
        for context in iter_route_contexts(app.routes)
        if (context.path or "").startswith(API_PATH) and getattr(context, "include_in_schema", False)
    ]


def _translated(node: Any) -> Any:
    """The document with its descriptions and summaries in the current language (they are English msgids)."""
    if isinstance(node, dict):
        return {
            key: gettext(value) if key in _TRANSLATED_KEYS and isinstance(value, str) else _translated(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_translated(item) for item in node]
    return node


def api_schema(app: FastAPI, locale: str) -> dict[str, Any]:
    """Built once per language and kept on the app: the routes do not change while it runs."""
    cache: dict[str, dict[str, Any]] | None = getattr(app.state, "api_schemas", None)
    if cache is None:
        cache = app.state.api_schemas = {}
    if locale not in cache:
        document = get_openapi(
            title="Klasteris API",
            version="1",
            description=N_(
                "Read-only access to Klasteris for HR systems and learning record stores: completion records, "
                "people, courses and organisations. Every request needs an API token made by an administrator."
            ),
            routes=_api_routes(app),
        )
        cache[locale] = _translated(document)
    return copy.deepcopy(cache[locale])


# --- the reference page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    location: str
    required: bool
    type: str
    model: str | None  # the enumeration its values come from, to link to
    description: str
    constraints: list[tuple[str, str]]


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: str
    model: str | None
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class EndpointDoc:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[ParameterDoc]
    responses: list[ResponseDoc]


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    model: str | None  # the model this field holds, to link to
    required: bool
    description: str


@dataclass(frozen=True)
class ModelDoc:
    name: str
    description: str
    fields: list[FieldDoc]
    values: list[str]  # for enumerations


@dataclass(frozen=True)
class ApiReference:
    description: str
    security_scheme: str
    endpoints: list[EndpointDoc]
    models: list[ModelDoc]
    default_limit: int
    max_limit: int


def _referenced_model(schema: dict[str, Any]) -> str | None:
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_COMPONENT_REF)
    for option in schema.get("anyOf", []):
        found = _referenced_model(option)
        if found:
            return found
    if schema.get("type") == "array":
        return _referenced_model(schema.get("items", {}))
    return None


def type_label(schema: dict[str, Any]) -> str:
    """A short technical name for a JSON schema: `string (date-time)`, `array of UserOut`, `integer | null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_COMPONENT_REF)
    if "anyOf" in schema:
        return " | ".join(type_label(option) for option in schema["anyOf"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {type_label(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


def _constraints(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    options = [schema, *schema.get("anyOf", [])]
    for option in options:
        for key, label in (
            ("minimum", gettext("minimum")),
            ("maximum", gettext("maximum")),
            ("maxLength", gettext("maximum length")),
            ("pattern", gettext("pattern")),
        ):
            if key in option:
                found.append((label, str(option[key])))
    if schema.get("default") is not None:
        found.append((gettext("default"), json.dumps(schema["default"])))
    return found


def _endpoint(path: str, method: str, operation: dict[str, Any]) -> EndpointDoc:
    parameters = [
        ParameterDoc(
            name=parameter["name"],
            location=parameter["in"],
            required=bool(parameter.get("required")),
            type=type_label(parameter.get("schema", {})),
            model=_referenced_model(parameter.get("schema", {})),
            description=parameter.get("description") or parameter.get("schema", {}).get("description", ""),
            constraints=_constraints(parameter.get("schema", {})),
        )
        for parameter in operation.get("parameters", [])
    ]
    responses = []
    for status, response in sorted(operation.get("responses", {}).items()):
        content = response.get("content", {}).get("application/json", {})
        responses.append(
            ResponseDoc(
                status=status,
                description=response.get("description", ""),
                model=_referenced_model(content.get("schema", {})),
                headers=[(name, header.get("description", "")) for name, header in response.get("headers", {}).items()],
            )
        )
    return EndpointDoc(
        anchor=f"op-{operation.get('operationId', path)}",
        method=method.upper(),
        path=path,
        summary=operation.get("summary", ""),
        description=operation.get("description", ""),
        parameters=parameters,
        responses=responses,
    )


def _model(name: str, schema: dict[str, Any]) -> ModelDoc:
    required = set(schema.get("required", []))
    return ModelDoc(
        name=name,
        description=schema.get("description", ""),
        fields=[
            FieldDoc(
                name=field_name,
                type=type_label(field),
                model=_referenced_model(field),
                required=field_name in required,
                description=field.get("description", ""),
            )
            for field_name, field in schema.get("properties", {}).items()
        ],
        values=[str(value) for value in schema.get("enum", [])],
    )


def api_reference(document: dict[str, Any]) -> ApiReference:
    endpoints = [
        _endpoint(path, method, operation)
        for path, operations in document.get("paths", {}).items()
        for method, operation in operations.items()
    ]
    components = document.get("components", {})
    schemes = components.get("securitySchemes", {})
    return ApiReference(
        description=document.get("info", {}).get("description", ""),
        security_scheme=next(iter(schemes.values()), {}).get("description", ""),
        endpoints=endpoints,
        models=[_model(name, schema) for name, schema in sorted(components.get("schemas", {}).items())],
        default_limit=DEFAULT_LIMIT,
        max_limit=MAX_LIMIT,
    )


@router.get("/openapi.json", include_in_schema=False, name="api_openapi")
def openapi_document(request: Request, _visitor: OptionalUser) -> Response:
    return JSONResponse(api_schema(request.app, get_locale()), headers={"Content-Language": get_locale()})


@router.get("/docs", include_in_schema=False, name="api_docs")
def api_docs_page(request: Request, _visitor: OptionalUser) -> Response:
    reference = api_reference(api_schema(request.app, get_locale()))
    rate_limit = request.app.state.settings.api_rate_limit_per_minute
    return render(request, "api/docs.html", {"reference": reference, "rate_limit": rate_limit})
