"""The JSON API (`/api/v1`): every route needs a bearer token; answers are pydantic schemas."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from dunmore.web.api import operations, routes, runs
from dunmore.web.auth import api_user

UNAUTHORIZED = {401: {"description": "No valid bearer token was sent."}}

router = APIRouter(dependencies=[Depends(api_user)], responses=UNAUTHORIZED)  # type: ignore[arg-type]
router.include_router(routes.router)
router.include_router(runs.router)
router.include_router(operations.router)
