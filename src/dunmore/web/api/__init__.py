"""The JSON API (`/api/v1`): every route needs a bearer token; answers are pydantic schemas."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from dunmore.web.api import alerts, operations, routes, runs
from dunmore.web.api.errors import UNAUTHORIZED
from dunmore.web.auth import api_user

router = APIRouter(dependencies=[Depends(api_user)], responses=UNAUTHORIZED)
router.include_router(routes.router)
router.include_router(runs.router)
router.include_router(operations.router)
router.include_router(alerts.router)
