"""Which scoring flags raise a safety alert that staff must acknowledge.

Pure data and one function: no database, no web. A clinic may add flags (e.g. a
severe PHQ-9 band) through its settings; the defaults are the suicide-risk flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class AlertRule:
    message: str
    source: str


# source: docs/clinical-references.md#suicide-risk - every instrument that asks about
# suicide can raise the alert: PHQ-9 item 9 > 0 (Kroenke 2001), QIDS-SR16 item 12 >= 2
# (Rush 2003), MADRS item 10 >= 4 (Montgomery 1979), the C-SSRS screener's moderate and
# high risk (Posner 2011). Each instrument sets the flag "suicide_risk" in its YAML definition; the
# lower "suicide_review" flag (QIDS >= 1, MADRS >= 2) is shown on the score, not alerted.
DEFAULT_ALERT_RULES: Mapping[str, AlertRule] = MappingProxyType(
    {
        "suicide_risk": AlertRule(
            message="Suicide-risk answer: review with the patient before treatment.",
            source=(
                "docs/clinical-references.md#suicide-risk: PHQ-9 item 9 > 0; "
                "QIDS-SR16 item 12 >= 2; MADRS item 10 >= 4; C-SSRS moderate/high risk"
            ),
        ),
    }
)


def alerts_for(
    flags: Iterable[str], rules: Mapping[str, AlertRule] = DEFAULT_ALERT_RULES
) -> list[tuple[str, str]]:
    """(flag, message) for every flag that must be acknowledged, in rule order."""
    raised = set(flags)
    return [(flag, rule.message) for flag, rule in rules.items() if flag in raised]
