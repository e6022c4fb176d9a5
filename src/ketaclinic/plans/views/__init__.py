"""Staff pages for protocols and treatment plans: the protocol browser, a
patient's plans, the plan builder (sessions and windows, today's dose and pump
rate, the PK preview), a plan with its lifecycle actions, revisions, and the dose
double-check screen."""

from __future__ import annotations

from fastapi import APIRouter

from ketaclinic.plans.views import builder_pages, dose_pages, plan_pages

router = APIRouter(include_in_schema=False)
# In the order the pages were declared in (none of their paths overlaps another's).
for _pages in (
    builder_pages,
    plan_pages,
    dose_pages,
):
    router.include_router(_pages.router)
