"""Clinic administration's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid


class SettingInvalid(FieldInvalid):
    code = "setting_invalid"
    field = "value"
