"""The template check: every template, both languages, GSM-7, one segment, no PHI by default."""

from __future__ import annotations

import pytest

from services.dispatcher.rules.content import MAX_SEGMENT, gsm7_length, is_gsm7, phi_words
from services.dispatcher.settings import DispatcherSection
from services.dispatcher.texts.templates import TEMPLATES, SiteText, TemplateError, render
from shared.events import Category

LONGEST_SITE = SiteText("X" * 24, "512-555-0100")
# Worst-case variables: the longest values each pattern allows, plus PHI a caller might slip in.
WORST = {
    "time": "12:30 PM",
    "start": "2026-12-30T18:30:00Z",
    "code": "12345678",
    "severity": "P0",
    "count": "9999",
    "max": "9",
    "drug": "lithium",
    "question": "Little interest or pleasure in doing things, over the last two weeks?",
    "clinician": "c-" + "x" * 22,
}
# Every check-in item (PHQ-2, PHQ-9, GAD-7, the side-effect checklist and its severity
# questions), first asked and asked again.
CHECKIN_ITEMS = [
    *(("PHQ-2", str(i), "2") for i in range(1, 3)),
    *(("PHQ-9", str(i), "9") for i in range(1, 10)),
    *(("GAD-7", str(i), "7") for i in range(1, 8)),
    *(("side_effects", str(i), "0") for i in range(0, 8)),
]
CHECKIN_VARIABLES = [
    {"instrument": instrument, "item": item, "of": of, "reask": reask}
    for instrument, item, of in CHECKIN_ITEMS
    for reask in ("0", "1")
]
CASES = [
    pytest.param(
        t,
        lang,
        variables,
        id=f"{t}-{lang}" + ("-" + "-".join(variables.values())) * (t == "checkin_item"),
    )
    for t in sorted(TEMPLATES)
    for lang in ("en", "es")
    for variables in (CHECKIN_VARIABLES if t == "checkin_item" else [WORST])
]
SITES = DispatcherSection().sites.values()


@pytest.mark.parametrize(("template_id", "language", "variables"), CASES)
def test_every_template_fits_one_gsm7_segment_without_phi(
    template_id: str, language: str, variables: dict[str, str]
) -> None:
    for site in [LONGEST_SITE, *(SiteText(s.display_name, s.help_phone) for s in SITES)]:
        body = render(
            template_id,
            language=language,
            variables=variables,
            site=site,
            detailed=False,
            zone="America/Chicago",
        ).body
        assert is_gsm7(body), body
        assert gsm7_length(body) <= MAX_SEGMENT, (len(body), body)
        assert body.startswith(site.display_name), body
        assert not phi_words(body), (phi_words(body), body)
        assert "{" not in body and "}" not in body
        texts = TEMPLATES[template_id]
        if texts.opt_out_text:
            assert "STOP" in body, body


@pytest.mark.parametrize(("template_id", "language", "variables"), CASES)
def test_detailed_texts_are_gsm7_and_fall_back_when_too_long(
    template_id: str, language: str, variables: dict[str, str]
) -> None:
    rendered = render(
        template_id,
        language=language,
        variables=variables,
        site=LONGEST_SITE,
        detailed=True,
        zone="America/Chicago",
    )
    assert is_gsm7(rendered.body) and gsm7_length(rendered.body) <= MAX_SEGMENT
    for text in TEMPLATES[template_id].detailed.values():
        assert is_gsm7(text)


def test_detailed_text_needs_consent_to_name_the_drug() -> None:
    site = SiteText("Northside Clinic", "512-555-0100")
    plain = render(
        "dose_reminder",
        language="en",
        variables={"time": "08:00", "drug": "lithium"},
        site=site,
        detailed=False,
        zone="America/Chicago",
    )
    detailed = render(
        "dose_reminder",
        language="en",
        variables={"time": "08:00", "drug": "lithium"},
        site=site,
        detailed=True,
        zone="America/Chicago",
    )
    assert "lithium" not in plain.body and not plain.detailed
    assert "lithium" in detailed.body and detailed.detailed


def test_domain_examples() -> None:
    site = SiteText("Northside Clinic", "555-555-0100")
    appt = render(
        "appointment_reminder",
        language="en",
        variables={"start": "2026-03-10T19:30:00Z"},
        site=site,
        detailed=False,
        zone="America/Chicago",
    )
    assert appt.body == (
        "Northside Clinic: reminder of your visit Tue 3/10 at 2:30 PM CT. Reply 1 "
        "to confirm, 2 to reschedule, 3 to cancel. Reply STOP to opt out."
    )
    dose = render(
        "dose_reminder",
        language="en",
        variables={"time": "8:00 AM"},
        site=site,
        detailed=False,
        zone="America/Chicago",
    )
    assert dose.body.startswith("Northside Clinic: time for your 8:00 AM medicine.")
    es = render(
        "appointment_reminder",
        language="es",
        variables={"start": "2026-03-10T19:30:00Z"},
        site=site,
        detailed=False,
        zone="America/Denver",
    )
    assert "mar 10/3 a las 1:30 PM MT" in es.body


def test_spanish_avoids_non_gsm_accents() -> None:
    for texts in TEMPLATES.values():
        for text in [texts.minimal["es"], *texts.detailed.values()]:
            assert not set(text) & set("áíóúÁÍÓÚ¡"), text


def test_every_category_has_a_template() -> None:
    assert set(Category.__args__) <= set(TEMPLATES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"time": "lithium 300mg"}, "time"),
        ({"time": "25:00"}, "range"),
        ({"code": "12ab"}, "code"),
        ({"start": "next tuesday"}, "start"),
        ({"start": "2026-03-10T19:30:00"}, "offset"),
        ({"question": "{site}"}, "question"),
    ],
)
def test_malformed_variables_are_refused(variables: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError):
        render(
            "clinician_page" if "code" in variables else "dose_reminder",
            language="en",
            variables={"time": "08:00", "code": "1234", "severity": "P0", **variables},
            site=LONGEST_SITE,
            detailed=True,
            zone="America/Chicago",
        )


def test_unknown_template_and_missing_variable() -> None:
    with pytest.raises(TemplateError):
        render("nope", language="en", variables={}, site=LONGEST_SITE, detailed=False, zone="UTC")
    with pytest.raises(TemplateError):
        render(
            "dose_reminder",
            language="en",
            variables={},
            site=LONGEST_SITE,
            detailed=False,
            zone="UTC",
        )
