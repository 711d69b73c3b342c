"""docs/clinical-rules.md documents every rule the code raises or cites, and nothing cites the
old, external clinical reference any more. (That the document is current is
test_generated.py's: it is one of deploy.generate's targets.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from deploy import clinical_rules, generate
from deploy.services import ROOT
from services.adherence.rules import alerts
from services.adherence.rules import catalogue as adherence_catalogue

DOC = clinical_rules.OUT
FAMILIES = ("SYM", "SE", "ADH", "APPT", "SMS", "ESC")
CITED = re.compile(rf"\b(?:{'|'.join(FAMILIES)})(?:-[A-Z0-9]+)+(?![-A-Z0-9*])")
"""A rule id of one of the families, as a comment or README cites it (a wildcard such as
SYM-*-WORSEN or ESC-* is not an id)."""
OLD_CITATION = re.compile(r"domain(?:\.md|\s*§|\s+\d)", re.IGNORECASE)
TEXT_SUFFIXES = {".py", ".md", ".json", ".yaml", ".yml", ".txt", ".toml"}


def _documented() -> set[str]:
    """The rule ids in the first column of the document's table."""
    return set(re.findall(r"^\| ([A-Z0-9-]+) \|", DOC.read_text(), re.MULTILINE))


def _files(*roots: Path, suffixes: set[str]) -> list[Path]:
    out = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        out += [p for p in paths if p.suffix in suffixes and "__pycache__" not in p.parts]
    return out


def test_the_document_is_a_generated_target() -> None:
    assert DOC in generate.targets()


def test_the_document_lists_each_rule_of_the_tables_once() -> None:
    ids = clinical_rules.rule_ids()
    assert _documented() == ids
    for rule_id in ids:
        assert clinical_rules.RULE_ID.fullmatch(rule_id), rule_id
    for table in clinical_rules.TABLES:
        rows = [info.rule_id for info in table.rules()]
        assert rows and len(rows) == len(set(rows)), table.service


def test_every_rule_id_the_code_raises_is_documented() -> None:
    """Every string literal in services/ shaped like a rule id (rule_id=, RULE_ID, RuleInfo and
    table rows) is a row of the document."""
    documented = _documented()
    missing: dict[str, str] = {}
    for path in _files(ROOT / "services", suffixes={".py"}):
        for node in ast.walk(ast.parse(path.read_text())):
            value = node.value if isinstance(node, ast.Constant) else None
            shaped = isinstance(value, str) and clinical_rules.RULE_ID.fullmatch(value)
            if shaped and value not in documented:
                missing.setdefault(str(value), str(path.relative_to(ROOT)))
    assert not missing, f"rule ids not in docs/clinical-rules.md: {missing}"


def test_every_rule_id_cited_is_documented() -> None:
    """Comments, docstrings and READMEs cite rules by documented ids only."""
    documented = _documented()
    missing: dict[str, str] = {}
    roots = (ROOT / "services", ROOT / "shared", ROOT / "docs", ROOT / "README.md")
    for path in _files(*roots, suffixes={".py", ".md"}):
        for rule_id in CITED.findall(path.read_text()):
            if rule_id not in documented:
                missing.setdefault(rule_id, str(path.relative_to(ROOT)))
    assert not missing, f"cited rule ids not in docs/clinical-rules.md: {missing}"


def test_no_citation_of_the_external_reference_is_left() -> None:
    roots = (ROOT / "services", ROOT / "shared", ROOT / "docs", ROOT / "README.md")
    found = []
    for path in _files(*roots, suffixes=TEXT_SUFFIXES):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if OLD_CITATION.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "cite the rule id (docs/clinical-rules.md) instead:\n" + "\n".join(found)


def test_the_adherence_catalogue_follows_the_alert_table() -> None:
    """Same ids in the same order as rules/alerts.py, each with the table's priority."""
    table = [(r.rule_id, r.severity) for r in alerts.RULES]
    table += [(rule_id, severity) for rule_id, severity, _, _ in alerts.PATIENT_RULES]
    described = [(info.rule_id, info.severity[:2]) for info in adherence_catalogue.RULES]
    assert described == table


def test_thresholds_are_filled_in() -> None:
    text = clinical_rules.render()
    assert "{" not in text and "}" not in text
    assert "| ADH-CLOZ-48H | adherence | clozapine: 48 h without a dose taken" in text


def test_a_rule_of_two_services_is_one_row() -> None:
    entry = next(e for e in clinical_rules.entries() if e.rule_id == "SE-ANY-EMERGENCY")
    assert entry.services == ["symptoms", "dispatcher"]
    assert DOC.read_text().count("| SE-ANY-EMERGENCY |") == 1
