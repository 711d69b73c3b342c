"""The rule-info type every service describes its clinical rules with (a descriptor, not a rule).

Each service keeps a tuple of these in its `rules/` (symptoms: the RuleInfo of each rule module
and the side-effect table; adherence, reminders, dispatcher, escalation: `rules/catalogue.py`);
`python -m deploy.generate` renders them all into docs/clinical-rules.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleInfo:
    """One line of the rule catalogue: the rule id, what triggers the rule, its priority (and
    action), and the evidence it rests on. `trigger` and `severity` may name thresholds as
    {field}, filled in from the service's thresholds when rendered.

    Source tags: [V] verified against the cited source, [U] cited but not verified, [S] seen in
    secondary sources only, [D] a design default (configurable where a setting exists)."""

    rule_id: str
    trigger: str
    severity: str
    source: str

    def filled(self, values: Mapping[str, object]) -> RuleInfo:
        """The same line with the {field} placeholders of trigger and severity filled in."""
        return RuleInfo(
            self.rule_id,
            self.trigger.format(**values),
            self.severity.format(**values),
            self.source,
        )
