"""Staff pages for the controlled-substance ledger: the custodian's stock, receipts,
counts and cases; the nurse's draw, dose, waste (witnessed) and return; reports."""

from __future__ import annotations

from fastapi import APIRouter

from ketaclinic.ledger.views import case_pages, draw_pages, report_pages, stock_pages

router = APIRouter(include_in_schema=False)
# In the order the pages were declared in (none of their paths overlaps another's).
for _pages in (stock_pages, draw_pages, case_pages, report_pages):
    router.include_router(_pages.router)
