"""Check-in texts: the item in the patient's language, PHI-minimal unless detailed content was
consented to, the fullest answer legend that fits, and a short re-ask."""

from __future__ import annotations

import pytest

from services.dispatcher.rules.content import fits_one_segment, phi_words
from services.dispatcher.texts import checkin_texts as texts
from services.dispatcher.texts.templates import SiteText, TemplateError, render

SITE = SiteText("Northside Clinic", "512-555-0100")


def body(detailed: bool = False, language: str = "en", **variables: str) -> str:
    return render(
        "checkin_item",
        language=language,
        variables=variables,
        site=SITE,
        detailed=detailed,
        zone="America/Chicago",
    ).body


def test_an_item_with_the_full_legend_when_it_fits() -> None:
    assert body(instrument="PHQ-9", item="5", of="9") == (
        "Northside Clinic: Q5/9 Poor appetite or overeating? Reply 0 not at all, 1 several days, "
        "2 more than half the days, 3 nearly every day. Reply STOP to opt out."
    )
    assert body(instrument="PHQ-9", item="4", of="9") == (
        "Northside Clinic: Q4/9 Feeling tired or having little energy? Reply 0 not at all, "
        "1 several days, 2 over half the days, 3 nearly every day. STOP to opt out."
    )
    assert body(instrument="GAD-7", item="4", of="7") == (
        "Northside Clinic: Q4/7 Trouble relaxing? Reply 0 not at all, 1 several days, 2 more "
        "than half the days, 3 nearly every day. Reply STOP to opt out."
    )


def test_item9_is_asked_without_naming_anything() -> None:
    text = body(instrument="PHQ-9", item="9", of="9")
    assert text.startswith("Northside Clinic: Q9/9 Thoughts you'd be better off dead")
    assert not phi_words(text) and "suicid" not in text.lower()


def test_minimal_wording_names_no_instrument_or_diagnosis_and_detailed_does() -> None:
    minimal = body(instrument="PHQ-2", item="2", of="2")
    assert "PHQ" not in minimal and "depress" not in minimal
    detailed = render(
        "checkin_item",
        language="en",
        variables={"instrument": "PHQ-2", "item": "2", "of": "2"},
        site=SITE,
        detailed=True,
        zone="America/Chicago",
    )
    assert detailed.detailed and detailed.body.startswith("Northside Clinic: PHQ-2 Q2/2 ")
    assert "depressed" in detailed.body
    anxious = body(True, instrument="GAD-7", item="1", of="7")
    assert "GAD-7" in anxious and "anxious" in anxious


def test_spanish() -> None:
    text = body(language="es", instrument="PHQ-9", item="3", of="9")
    assert text.startswith("Northside Clinic: P3/9 ¿Problemas para dormir")
    assert "STOP" in text and fits_one_segment(text)
    checklist = body(language="es", instrument="side_effects", item="0", of="0")
    assert "6 erupcion" in checklist and "0 nada" in checklist


def test_the_side_effect_checklist_and_severity() -> None:
    checklist = body(instrument="side_effects", item="0", of="0")
    for option in ("1 sleep", "2 stomach", "3 weight", "4 tired", "5 restless", "6 rash"):
        assert option in checklist
    assert "7 other, 0 none" in checklist and "e.g. 1 6" in checklist
    assert body(instrument="side_effects", item="6", of="0") == (
        "Northside Clinic: How much has the rash bothered you? Reply 0 none, 1 mild, "
        "2 moderate, 3 severe. Reply STOP to opt out."
    )


def test_a_reask_leads_with_the_request_for_a_number() -> None:
    again = body(instrument="PHQ-9", item="9", of="9", reask="1")
    assert again == (
        "Northside Clinic: Please answer with one number. Q9/9 Reply 0 (not at all) to 3 "
        "(nearly every day). STOP to opt out."
    )
    short = body(instrument="PHQ-9", item="5", of="9", reask="1")
    assert "Poor appetite" in short  # the question comes along when it fits
    checklist = body(instrument="side_effects", item="0", of="0", reask="1")
    assert checklist.startswith("Northside Clinic: Please reply with numbers: 1 sleep")


def test_every_item_has_both_languages() -> None:
    for table in (texts.PHQ, texts.GAD):
        for question in table.values():
            assert set(question) == {"en", "es"}
    assert set(texts.EFFECTS["en"]) == set(texts.EFFECTS["es"]) == {str(i) for i in range(1, 8)}


@pytest.mark.parametrize(
    "variables",
    [
        {"instrument": "PHQ-9", "item": "10", "of": "9"},
        {"instrument": "PHQ-2", "item": "3", "of": "2"},
        {"instrument": "PCL-5", "item": "1", "of": "20"},
        {"instrument": "side_effects", "item": "8", "of": "0"},
        {"instrument": "PHQ-9", "of": "9"},
        {"instrument": "PHQ-9", "item": "1", "of": "lithium 300mg"},
    ],
)
def test_unknown_items_are_refused(variables: dict[str, str]) -> None:
    with pytest.raises(TemplateError):
        body(False, "en", **variables)
