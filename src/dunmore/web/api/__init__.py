"""The JSON API (`/api/v1`): every route needs a bearer token; answers are pydantic schemas."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from dunmore.web.api import activities, alerts, operations, portfolios, promises, routes, runs, worklist
from dunmore.web.api import admission as admission_routes
from dunmore.web.api import contracts as contract_routes
from dunmore.web.api import credit as credit_routes
from dunmore.web.api import disputes as dispute_routes
from dunmore.web.api import plans as plan_routes
from dunmore.web.api import playbook as playbook_routes
from dunmore.web.api import statements as statement_routes
from dunmore.web.api.errors import BAD_REQUEST, UNAUTHORIZED
from dunmore.web.auth import api_user, refuse_nul_in_request

# Every operation may refuse a NUL character in its path or query (400), after the token is read.
router = APIRouter(
    dependencies=[Depends(api_user), Depends(refuse_nul_in_request)], responses=UNAUTHORIZED | BAD_REQUEST
)
router.include_router(routes.router)
router.include_router(runs.router)
router.include_router(operations.router)
router.include_router(portfolios.router)
router.include_router(promises.router)
router.include_router(dispute_routes.router)
router.include_router(activities.router)
router.include_router(worklist.router)
router.include_router(alerts.router)
router.include_router(plan_routes.router)
router.include_router(credit_routes.router)
router.include_router(playbook_routes.router)
router.include_router(contract_routes.router)
router.include_router(admission_routes.router)
router.include_router(statement_routes.router)
