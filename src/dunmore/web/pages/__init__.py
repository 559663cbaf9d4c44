"""Server-rendered pages. Every unsafe request is CSRF-checked before its route runs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from dunmore.web.auth import check_csrf, refuse_nul_in_request
from dunmore.web.pages import (
    activities,
    alerts,
    calendar,
    customers,
    dashboard,
    operations,
    playbook,
    promises,
    runs,
    session,
    worklist,
)
from dunmore.web.pages import admission as admission_pages
from dunmore.web.pages import contracts as contract_pages
from dunmore.web.pages import credit as credit_pages
from dunmore.web.pages import disputes as dispute_pages
from dunmore.web.pages import plans as plan_pages
from dunmore.web.pages import statements as statement_pages

router = APIRouter(
    dependencies=[Depends(refuse_nul_in_request), Depends(check_csrf)], include_in_schema=False
)
router.include_router(session.router)
router.include_router(dashboard.router)
router.include_router(customers.router)
router.include_router(activities.router)
router.include_router(runs.router)
router.include_router(operations.router)
router.include_router(promises.router)
router.include_router(dispute_pages.router)
router.include_router(worklist.router)
router.include_router(alerts.router)
router.include_router(calendar.router)
router.include_router(plan_pages.router)
router.include_router(credit_pages.router)
router.include_router(playbook.router)
router.include_router(contract_pages.router)
router.include_router(admission_pages.router)
router.include_router(statement_pages.router)
