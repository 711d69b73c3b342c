"""Every SMS template passes the PHI check: every template id any service asks for exists, in
English and Spanish; no text names a drug, a diagnosis, an instrument, a person or a phone
number of its own; and no variable a caller passes (whatever its name) brings PHI into a text
unless the recipient consented to detailed texts."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dispatcher.rules.content import PHI_WORDS, phi_words
from services.dispatcher.texts.templates import TEMPLATES, SiteText, TemplateError, render
from tests import phi_scan

ROOT = Path(__file__).resolve().parents[3]
SITE = SiteText("Northside Clinic", "512-555-0100")
# Variables that name a drug or an instrument: only a detailed text (with consent) shows them.
DETAILED_ONLY = {"drug", "instrument"}
DRUGS = sorted(w for w in PHI_WORDS if w.isalpha() and len(w) > 5)


def requested_template_ids() -> dict[str, str]:
    """template_id values in the services' code (literals, or module constants they name)."""
    constants: dict[str, str] = {}
    uses: list[tuple[str, ast.expr]] = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        constants[target.id] = node.value.value
            if isinstance(node, ast.Call):
                uses += [(str(path), k.value) for k in node.keywords if k.arg == "template_id"]

    def values(expression: ast.expr) -> list[str]:
        """A literal, a module constant, or a choice between them (`A if c else B`)."""
        if isinstance(expression, ast.IfExp):
            return values(expression.body) + values(expression.orelse)
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            return [expression.value]
        if isinstance(expression, ast.Name) and expression.id in constants:
            return [constants[expression.id]]
        return []

    return {value: where for where, expression in uses for value in values(expression)}


def test_every_template_a_service_requests_exists_in_both_languages() -> None:
    requested = requested_template_ids()
    assert {"dose_reminder", "clinician_page", "appointment_reminder"} <= requested.keys()
    missing = {t: where for t, where in requested.items() if t not in TEMPLATES}
    assert missing == {}
    for template_id, texts in TEMPLATES.items():
        assert set(texts.minimal) == {"en", "es"}, template_id
        assert set(texts.detailed) in (set(), {"en", "es"}), template_id


def _static(text: str) -> str:
    """The words of a template, its placeholders taken out."""
    return " ".join(
        literal for literal, *_ in string.Formatter().parse(text) if literal is not None
    )


PHONE_LIKE = re.compile(r"\d{3}[-. ]?\d{3}[-. ]?\d{4}|\+\d{8,}")


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_no_template_text_carries_phi_of_its_own(template_id: str) -> None:
    texts = TEMPLATES[template_id]
    registered = phi_scan.prime().values
    for text in [*texts.minimal.values(), *texts.detailed.values()]:
        static = _static(text)
        allowed = {"dose of"} if text in texts.detailed.values() else set()  # "... dose of {drug}"
        assert not phi_words(static) - allowed, (template_id, phi_words(static))
        assert not PHONE_LIKE.search(static), template_id  # the help number comes from {phone}
        assert not [v for v in registered if len(v) > 5 and v in static], template_id
    for text in texts.minimal.values():
        fields = {name for _, name, *_ in string.Formatter().parse(text) if name}
        assert not fields & DETAILED_ONLY, (template_id, fields)


@given(
    template_id=st.sampled_from(sorted(TEMPLATES)),
    language=st.sampled_from(["en", "es"]),
    drug=st.sampled_from(DRUGS),
    name=st.sampled_from(["drug", "instrument", "name", "body", "note", "time", "site", "phone"]),
)
def test_a_variable_never_brings_phi_into_a_plain_text(
    template_id: str, language: str, drug: str, name: str
) -> None:
    variables = {"time": "8:00 AM", "start": "2026-03-10T19:30:00Z", "code": "4821"}
    variables |= {"severity": "P0", "count": "3", name: drug}
    try:
        rendered = render(
            template_id,
            language=language,
            variables=variables,
            site=SITE,
            detailed=False,
            zone="America/Chicago",
        )
    except TemplateError:
        return  # refused (a malformed time, say): nothing is sent, so nothing leaks
    assert drug not in rendered.body.lower(), rendered.body
    assert not phi_words(rendered.body), rendered.body
