"""The rule catalogue (id, trigger, severity, source), generated from the rules themselves.

`python -m services.symptoms.catalogue` prints it; `--readme` rewrites the README section;
`python -m deploy.generate` writes it, with every other service's rules, into
docs/clinical-rules.md."""

from __future__ import annotations

import sys
from pathlib import Path

from services.symptoms.rules import (
    cross_stream,
    cssrs,
    emergency,
    gad7,
    management,
    noshow,
    pcl5,
    phq2,
    phq9,
)
from services.symptoms.rules.side_effects import TABLE, Row
from services.symptoms.rules.thresholds import Thresholds
from services.symptoms.rules.vocabulary import SYMPTOMS
from services.symptoms.settings import SymptomsSection
from shared.catalogue import RuleInfo

README = Path(__file__).with_name("README.md")
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
CRISIS_NOTE = " + crisis text"


def _row_info(row: Row) -> RuleInfo:
    """A table row rendered: drug context, then each tier's symptoms and qualifiers."""
    tiers = "; ".join(
        f"{tier.severity}: {tier.when.describe()}{tier.qualifiers()}" for tier in row.tiers
    )
    trigger = f"{row.title}. Drug context: {row.context.label}. {tiers}"
    if row.rule_id == "SE-ANY-EMERGENCY":
        trigger += (
            "; or free text with crisis language ("
            + ", ".join(emergency.PHRASES)
            + "; risk_language, indirect or passive risk wording, is P1; English and Spanish, "
            "misspellings, leetspeak, emoji; negation not parsed)"
        )
    severities = []
    for tier in row.tiers:
        crisis = CRISIS_NOTE if tier.severity == "P0" or tier.crisis else ""
        if f"{tier.severity}{crisis}" not in severities:
            severities.append(f"{tier.severity}{crisis}")
    return RuleInfo(row.rule_id, trigger, ", ".join(severities), row.source)


def rules() -> list[RuleInfo]:
    """Every rule of the service in catalogue order: instruments, side effects, the rest."""
    return [
        *phq9.RULES,
        *phq2.RULES,
        *gad7.RULES,
        *pcl5.RULES,
        cssrs.RULE,
        *(_row_info(row) for row in TABLE),
        *management.RULES,
        *cross_stream.RULES,
        *noshow.RULES,
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def filled(t: Thresholds | None = None) -> list[RuleInfo]:
    """Every rule with its thresholds filled in (the defaults unless `t` is given)."""
    values = (t or Thresholds()).model_dump()
    return [info.filled(values) for info in rules()]


def markdown(t: Thresholds | None = None) -> str:
    """The catalogue as a markdown table, thresholds filled in."""
    lines = ["| rule id | trigger | severity | source |", "|---|---|---|---|"]
    for info in filled(t):
        cells = (info.rule_id, info.trigger, info.severity, info.source)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def symptom_codes() -> str:
    """The side-effect vocabulary as a markdown table."""
    lines = ["| code | what the patient reports |", "|---|---|"]
    lines += [f"| `{code}` | {text} |" for code, text in SYMPTOMS.items()]
    return "\n".join(lines) + "\n"


def settings_table() -> str:
    """Every MTM_SYMPTOMS__* variable with its default."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, spec in SymptomsSection.model_fields.items():
        default = spec.get_default(call_default_factory=True)
        lines.append(
            f"| `MTM_SYMPTOMS__{name.upper()}` | {default} | {_cell(spec.description or '')} |"
        )
    return "\n".join(lines) + "\n"


def readme_section() -> str:
    return (
        f"{START}\n{markdown()}\n### Symptom codes\n\n{symptom_codes()}\n"
        f"### Settings\n\n{settings_table()}{END}"
    )


def write_readme(path: Path = README) -> None:
    """Replace the generated section of the README."""
    text = path.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(head + readme_section() + tail)


def main(argv: list[str]) -> None:
    if "--readme" in argv:
        write_readme()
    else:
        sys.stdout.write(markdown())


if __name__ == "__main__":
    main(sys.argv[1:])
