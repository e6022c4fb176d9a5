"""The audit page's words for its action codes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.audit.words import ACTION_LABELS, action_label


def test_it_gives_the_session_checklist_words() -> None:
    assert action_label("patient.session.checks") == "Session checklist recorded"
    assert action_label("auth.login_failed") == "Sign-in failed"


def test_it_makes_a_code_without_a_label_readable() -> None:
    assert action_label("patient.session.new_step") == "Session: new step"
    assert action_label("ledger.brand_new") == "Ledger: brand new"
    assert action_label("widget") == "Widget"


def test_it_labels_every_action_in_words() -> None:
    for code, label in ACTION_LABELS.items():
        assert label and "_" not in label and code not in label


@given(st.from_regex(r"[a-z_]{1,12}(\.[a-z_\-]{1,12}){0,3}", fullmatch=True))
def test_it_never_shows_underscores_or_dots_of_a_code(code: str) -> None:
    label = action_label(code)
    assert label and "_" not in label and "." not in label
