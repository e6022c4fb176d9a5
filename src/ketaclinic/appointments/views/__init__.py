"""Staff pages for the calendar: the day view per chair (phases coloured, nurse
load per half hour, prescriber on site, escorts), the week view, the
book-a-series dialog from a plan, one appointment (reschedule with suggestions,
cancel, no-show, escort) and the waitlist."""

from __future__ import annotations

from fastapi import APIRouter

from ketaclinic.appointments.views import booking_pages, day_pages, roster_pages, visit_pages

router = APIRouter(include_in_schema=False)
# In the order the pages were declared in (none of their paths overlaps another's).
for _pages in (
    day_pages,
    booking_pages,
    visit_pages,
    roster_pages,
):
    router.include_router(_pages.router)
