"""The one way a page reads a form: posted text → a schema → field messages."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import FormData

from ketaclinic.kit import forms
from ketaclinic.kit.errors import Conflict, ValidationFailed


class _Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: date
    note: str | None = None


def test_it_reads_posted_text_stripped_without_the_csrf_token() -> None:
    form = FormData([("csrf_token", "t"), ("note", "  calm  "), ("birth_date", "1980-02-01")])
    assert forms.values(form) == {"note": "calm", "birth_date": "1980-02-01"}
    assert forms.values(form, ("note", "missing")) == {"note": "calm", "missing": ""}


def test_it_treats_an_empty_field_as_not_given() -> None:
    assert forms.given({"birth_date": "", "note": "x", "days": []}) == {"note": "x"}


def test_it_parses_the_schema_or_names_each_field_that_is_wrong() -> None:
    visit, errors = forms.parse(_Visit, {"birth_date": "1980-02-01"})
    assert visit == _Visit(birth_date=date(1980, 2, 1)) and errors == {}
    visit, errors = forms.parse(_Visit, forms.given({"birth_date": "", "note": "x"}))
    assert visit is None
    assert errors == {"birth_date": "is required"}


def test_it_shows_a_refusals_field_messages_and_raises_one_without() -> None:
    refused = ValidationFailed.on("note", "too long")
    assert forms.field_errors(refused) == {"note": "too long"}
    with pytest.raises(Conflict):
        forms.field_errors(Conflict("Changed meanwhile."))


def test_it_keeps_a_password_as_typed_and_reads_a_ticked_box() -> None:
    form = FormData([("password", " pass word "), ("serious", "on"), ("active", "false")])
    assert forms.raw(form, "password") == " pass word "
    assert forms.text(form, "password") == "pass word"
    assert forms.checked(form, "serious") and not forms.checked(form, "active")
    assert not forms.checked(form, "absent") and forms.raw(form, "absent") == ""
