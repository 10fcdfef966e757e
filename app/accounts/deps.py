"""Typed handler arguments for the signed-in person, one per access policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.accounts.models import User
from app.core.access import ADMIN, MANAGER, PUBLIC, SIGNED_IN, TRAINER

OptionalUser = Annotated[User | None, Depends(PUBLIC)]
CurrentUser = Annotated[User, Depends(SIGNED_IN)]
TrainerUser = Annotated[User, Depends(TRAINER)]
AdminUser = Annotated[User, Depends(ADMIN)]
# Administrators and organisation managers; what a manager may see is narrowed by reports.scope.
ManagerUser = Annotated[User, Depends(MANAGER)]
