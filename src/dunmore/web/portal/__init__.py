"""The debtor's portal under `/portal`: reached through a signed link, mobile first, in the
customer's language (zh-CN, zh-TW, en) with a switch. No staff session is needed or used: its forms
carry the portal's own CSRF token, bound to the link's session."""

from __future__ import annotations

from fastapi import APIRouter

from dunmore.web.portal import actions, pages, statements

router = APIRouter(include_in_schema=False)
router.include_router(pages.router, prefix="/portal")
router.include_router(actions.router, prefix="/portal")
router.include_router(statements.router, prefix="/portal")
