"""Access policies: every route declares exactly one, and the access-matrix test checks them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from app.core.deps import SessionDep
from app.core.errors import Forbidden, LoginRequired
from app.core.i18n import _, set_locale


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    ADMIN = "admin"
    # Sees the reports of one organisation (their own, users.organisation_id) and nothing else extra.
    ORG_MANAGER = "org_manager"


class Principal(Protocol):
    """What a policy needs to know about the signed-in person (implemented by accounts.User)."""

    id: int
    locale: str
    full_name: str

    @property
    def role_set(self) -> frozenset[Role]: ...


PrincipalLoader = Callable[[Request, Session], Principal | None]


def load_principal(request: Request, session: SessionDep) -> Principal | None:
    """Resolve the signed-in person once per request through the loader the app registered."""
    loader: PrincipalLoader = request.app.state.principal_loader
    principal = loader(request, session)
    request.state.user = principal
    # Kept apart from the ORM object: error pages render after a rollback, when its roles cannot load.
    request.state.user_roles = principal.role_set if principal is not None else frozenset()
    request.state.user_name = principal.full_name if principal is not None else ""
    return principal


@dataclass(frozen=True, eq=False)
class Policy:
    """Who may use a route. Instances are FastAPI dependencies that return the principal."""

    name: str
    login_required: bool
    roles: frozenset[Role] = field(default_factory=frozenset)

    async def __call__(
        self, request: Request, principal: Annotated[Principal | None, Depends(load_principal)]
    ) -> Principal | None:
        # Async on purpose: the locale set here is then visible to the handler's worker thread.
        if principal is not None and "lang" not in request.query_params:
            set_locale(principal.locale)
            request.state.locale = principal.locale
        if not self.login_required:
            return principal
        if principal is None:
            raise LoginRequired()
        if self.roles and not (self.roles & principal.role_set):
            raise Forbidden(_("You do not have permission to open this page."))
        return principal

    def describe(self) -> str:
        if not self.login_required:
            return self.name
        return f"{self.name}({','.join(sorted(self.roles))})" if self.roles else self.name


PUBLIC = Policy("public", login_required=False)
SIGNED_IN = Policy("signed_in", login_required=True)
TRAINER = Policy("trainer", login_required=True, roles=frozenset({Role.TRAINER, Role.ADMIN}))
ADMIN = Policy("admin", login_required=True, roles=frozenset({Role.ADMIN}))
# Reports: administrators see every organisation, organisation managers only their own (checked by the service).
MANAGER = Policy("manager", login_required=True, roles=frozenset({Role.ADMIN, Role.ORG_MANAGER}))


@dataclass(frozen=True)
class RouteInfo:
    """A route as the app serves it: full path (include prefixes applied) and its access policies."""

    path: str
    name: str
    methods: frozenset[str]
    route: BaseRoute
    policies: tuple[Policy, ...]


def _policies_in(dependant: Dependant) -> list[Policy]:
    found: list[Policy] = []
    stack = list(dependant.dependencies)
    while stack:
        current = stack.pop()
        if isinstance(current.call, Policy):
            found.append(current.call)
        stack.extend(current.dependencies)
    return found


def app_routes(app: FastAPI) -> list[RouteInfo]:
    """Every route of the app, flattened through included routers."""
    routes: list[RouteInfo] = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        declared = getattr(original, "access_policy", None)
        if isinstance(declared, Policy):
            policies = [declared]
        else:
            dependant = getattr(context, "dependant", None) or getattr(original, "dependant", None)
            policies = _policies_in(dependant) if isinstance(original, APIRoute) and dependant else []
        routes.append(
            RouteInfo(
                path=context.path or "",
                name=context.name or "",
                methods=frozenset(context.methods or ()),
                route=original,
                policies=tuple(policies),
            )
        )
    return routes
