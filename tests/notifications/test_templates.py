"""The message templates: every one the issue names, each with a subject, an email and
an SMS body, and not one word of health information."""

from __future__ import annotations

import re

import pytest

from ketaclinic.notifications.templates import render, template, templates

REQUIRED = (
    "portal_invitation",
    "sign_in_link",
    "visit_reminder",
    "questionnaire_due",
    "escort_request",
    "booking_confirmed",
    "booking_changed",
    "post_infusion_checkin",
    "consent_request",
)

# Words that would tell whoever reads the phone's lock screen why the patient is seen.
HEALTH_WORDS = (
    "ketamine",
    "esketamine",
    "spravato",
    "infusion",
    "depress",
    "diagnos",
    "dose",
    "dosing",
    "score",
    "phq",
    "gad",
    "pcl",
    "madrs",
    "suicid",
    "mental",
    "psychiatr",
    "anxiety",
    "ptsd",
    "treatment",
    "medication",
    "drug",
    "therapy",
    "sedat",
    "rems",
    "symptom",
    "questionnaire",
    "fasting",
)


def _texts() -> list[tuple[str, str]]:
    return [
        (name, text)
        for name, found in templates().items()
        for text in (found.subject, found.email, found.sms, found.title)
    ]


def test_it_has_every_template_the_issue_names() -> None:
    for name in REQUIRED:
        found = template(name)
        assert found.subject and found.email and found.sms


@pytest.mark.parametrize("word", HEALTH_WORDS)
def test_it_never_mentions_health_in_a_message(word: str) -> None:
    for name, text in _texts():
        assert not re.search(word, text, re.IGNORECASE), f"{name}: {word!r} in {text!r}"


def test_it_gives_the_crisis_line_in_the_next_morning_check_in() -> None:
    found = template("post_infusion_checkin")
    assert "988" in found.email and "988" in found.sms


def test_it_renders_the_link_and_the_visit() -> None:
    fields = {
        "clinic_name": "Lakeside Clinic",
        "link": "https://example.test/portal",
        "visit_date": "Friday 11 December",
        "visit_time": "9:30 AM",
        "visit_address": "1 Main St",
    }
    out = render("visit_reminder", fields)
    assert "https://example.test/portal" in out.email and "9:30 AM" in out.sms
    assert "Friday 11 December" in out.subject


def test_it_keeps_an_sms_short_and_offers_stop() -> None:
    for name, found in templates().items():
        if found.staff:  # to staff by email only: no SMS body
            assert found.sms == "", name
            continue
        assert "STOP" in found.sms, name
        # Without the link and the clinic's name, two SMS segments at most.
        assert len(found.sms) < 300, name


def test_it_tells_staff_how_many_forms_are_due_and_nothing_more() -> None:
    found = template("rems_forms_due")
    assert found.staff and not found.visit
    fields = {"clinic_name": "Lakeside", "link": "https://x.test/rems"}
    out = render("rems_forms_due", fields | {"due_count": "3", "overdue_count": "1"})
    assert "3 monitoring forms are due" in " ".join(out.email.split())
    assert "(1 overdue)" in out.email and "https://x.test/rems" in out.email
    from ketaclinic.notifications.templates import Template

    with pytest.raises(ValueError, match="due_count"):
        Template(title="x", subject="{due_count}", email="", sms="x")  # a patient's


def test_it_refuses_a_placeholder_that_could_carry_anything() -> None:
    from ketaclinic.notifications.templates import Template

    with pytest.raises(ValueError, match="diagnosis"):
        Template(title="x", subject="{diagnosis}", email="", sms="")
    with pytest.raises(ValueError, match="visit_date"):
        Template(title="x", subject="{visit_date}", email="", sms="")
