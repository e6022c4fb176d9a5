"""The patient portal's pages (signing in, visits, the account) and the staff pages
that serve it (the invitation from the chart, the front desk's request queue)."""

from __future__ import annotations

from fastapi import APIRouter

from ketaclinic.portal.views import account_pages, sign_in_pages, staff_pages, visit_pages

router = APIRouter(include_in_schema=False)
for _pages in (sign_in_pages, visit_pages, account_pages, staff_pages):
    router.include_router(_pages.router)
