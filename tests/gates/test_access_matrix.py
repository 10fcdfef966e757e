"""Route access matrix: every route declares one policy, and every role gets what that policy promises."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session

from app.api.auth import ApiTokenPolicy
from app.core.access import app_routes
from app.core.config import Settings
from tests.api.api_setup import api_client, issue_token
from tests.factories import csrf_from
from tests.gates.routes import ROLE_GRANTS, Endpoint, client_as, endpoints, missing_path_samples

# Course routes need a course to act on: the fixture content is imported for every gate test.
pytestmark = pytest.mark.usefixtures("gate_samples")


def undeclared_routes(app: FastAPI) -> list[str]:
    return [route.path for route in app_routes(app) if len(route.policies) != 1]


# What the sample values in PATH_SAMPLES legitimately answer to someone allowed to ask.
SAMPLE_ANSWERS = {("GET", "/reset-password/{token}"): 400}


# Signed-in people who neither learn nor teach in the sample course.
OUTSIDERS = ("trainer-of-another-course", "org-manager")

# Where a role's answer differs from its policy's rule for a reason of the domain, not of access.
ROLE_EXCEPTIONS = {
    # Anyone signed in may open the quiz page, but only the course's learners and trainers may start it.
    **{("POST", "/courses/{code}/quiz/start", role): "forbidden" for role in OUTSIDERS},
    # The sample certificate belongs to another learner: only its holder and administrators may download it.
    **{
        ("GET", "/my/certificates/{certificate_code}", role): "not found" for role in ("learner", "trainer", *OUTSIDERS)
    },
    # The sample toolkit is shared with its course only: people outside the course do not see that it exists.
    **{
        (method, path, role): "not found"
        for role in OUTSIDERS
        for method, path in (
            ("GET", "/toolkits/{toolkit_id}"),
            ("GET", "/toolkits/{toolkit_id}/download"),
            ("GET", "/toolkits/{toolkit_id}/versions/{number}/download"),
        )
    },
    # The sample survey invitation is another person's: nobody else may see that it exists.
    **{
        (method, "/surveys/{invitation_id:int}", role): "not found"
        for method in ("GET", "POST")
        for role in ("learner", "trainer", "admin", *OUTSIDERS)
    },
    # Earlier versions are for the people who maintain the toolkit (its course's trainers, administrators).
    ("GET", "/toolkits/{toolkit_id}/versions/{number}/download", "learner"): "not found",
}


def expected_outcome(endpoint: Endpoint, role: str) -> str:
    exception = ROLE_EXCEPTIONS.get((endpoint.method, endpoint.route.path, role))
    if exception:
        return exception
    policy, grants, path = endpoint.policy, ROLE_GRANTS[role], endpoint.route.path
    # The API admits bearer tokens only: a browser session, even an administrator's, is not one.
    if isinstance(policy, ApiTokenPolicy):
        return "token required"
    if not policy.login_required:
        return "allowed"
    if grants is None:
        return "login"
    if policy.roles and not (policy.roles & grants):
        return "forbidden"
    # Trainer pages scoped to a course, toolkit, event or survey result hide other trainers' things entirely,
    # rather than admitting they exist.
    scoped = ("{code}", "{toolkit_id}", "{event_id", "{target_id")
    if role == "trainer-of-another-course" and policy.roles and any(marker in path for marker in scoped):
        return "not found"
    return "allowed"


def observed_outcome(endpoint: Endpoint, status: int, location: str) -> str:
    if status == 303 and location.startswith("/login?next="):
        return "login"
    if status == 401:
        return "token required"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not found"
    if status >= 500:
        return "error"
    # A page someone may open must open; a form may answer 4xx to the empty submission sent here.
    if (
        endpoint.method == "GET"
        and status >= 400
        and SAMPLE_ANSWERS.get((endpoint.method, endpoint.route.path)) != status
    ):
        return f"failed ({status})"
    return "allowed"


def test_every_route_declares_exactly_one_access_policy(app: FastAPI) -> None:
    assert undeclared_routes(app) == []


def test_every_path_parameter_has_a_sample_value(app: FastAPI) -> None:
    assert missing_path_samples(app) == set(), "add samples to tests/gates/routes.py PATH_SAMPLES"


def test_a_route_without_a_policy_is_caught(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/forgotten-policy")
    def forgotten_policy() -> str:
        return "open to everyone by accident"

    app.include_router(router)
    assert undeclared_routes(app) == ["/forgotten-policy"]


@pytest.mark.parametrize("role", list(ROLE_GRANTS))
def test_each_role_gets_what_each_route_policy_promises(
    app: FastAPI, db: Session, settings: Settings, role: str
) -> None:
    mismatches: list[str] = []
    checked = 0
    for endpoint in endpoints(app):
        # A fresh browser per request: one route (sign-out) would otherwise end the session for the rest.
        client = client_as(app, db, settings, role)
        token = csrf_from(client.get("/login").text) if role == "anonymous" else csrf_from(client.get("/profile").text)
        response = client.request(
            endpoint.method, endpoint.url, data={"csrf_token": token} if endpoint.method != "GET" else None
        )
        want = expected_outcome(endpoint, role)
        got = observed_outcome(endpoint, response.status_code, response.headers.get("location", ""))
        if want != got:
            mismatches.append(f"{endpoint} as {role}: expected {want}, got {got} ({response.status_code})")
        checked += 1
    assert checked >= len(list(endpoints(app))) > 0
    assert mismatches == [], "\n".join(mismatches)


def test_matrix_covers_every_route(app: FastAPI) -> None:
    covered = {(endpoint.route.path, endpoint.method) for endpoint in endpoints(app)}
    served = {(route.path, method) for route in app_routes(app) for method in route.methods}
    assert covered == served


def test_every_api_route_admits_a_valid_token(app: FastAPI, db: Session) -> None:
    api_endpoints = [endpoint for endpoint in endpoints(app) if isinstance(endpoint.policy, ApiTokenPolicy)]
    client = api_client(app, issue_token(db))
    answers = {str(endpoint): client.request(endpoint.method, endpoint.url).status_code for endpoint in api_endpoints}
    assert api_endpoints
    assert {name: status for name, status in answers.items() if status != 200} == {}
