"""Side effects reported in words map onto the vocabulary's codes (shared.lexicon.side_effects)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.symptoms.rules import vocabulary
from shared.lexicon import side_effects
from shared.lexicon.normalize import tokens
from shared.lexicon.side_effects import SYMPTOMS, WORDS_BY_CODE, code_for, codes_in, known

DOC = Path(__file__).resolve().parents[3] / "docs" / "side-effect-vocabulary.md"

WORDS: list[tuple[str, str | None]] = [
    # the integrators' and patients' words of the issue
    ("sore throat", "sore_throat"),
    ("Sore Throat", "sore_throat"),
    ("sore-throat", "sore_throat"),
    ("SORE THROAT ", "sore_throat"),
    (" sore-throat ", "sore_throat"),
    ("SORE_THROAT", "sore_throat"),
    ("sore_throat", "sore_throat"),
    ("dolor de garganta", "sore_throat"),
    ("fever", "fever"),
    ("fiebre", "fever"),
    ("temperatura alta", "fever"),
    ("rash", "rash_new"),
    ("sarpullido", "rash_new"),
    ("erupción en la piel", "rash_new"),
    ("erupcion en la piel", "rash_new"),
    ("ronchas", "hives"),
    ("dizzy", "dizziness"),
    ("mareado", "dizziness"),
    ("mareos", "dizziness"),
    ("can't sleep", "insomnia"),
    ("can\u2019t sleep", "insomnia"),
    ("cant sleep", "insomnia"),
    ("insomnio", "insomnia"),
    ("shaking", "tremor"),
    ("temblor", "tremor"),
    ("throwing up", "vomiting"),
    ("vómito", "vomiting"),
    ("vomitos", "vomiting"),
    ("diarrhea", "diarrhoea"),
    ("diarrhoea", "diarrhoea"),
    ("constipated", "constipation"),
    ("estreñimiento", "constipation"),
    ("estrenimiento", "constipation"),
    ("stiff muscles", "muscle_stiffness"),
    ("rigidez muscular", "muscle_stiffness"),
    ("heart racing", "racing_heart"),
    ("palpitaciones", "racing_heart"),
    ("blisters", "rash_blisters"),
    ("ampollas", "rash_blisters"),
    ("yellow eyes", "jaundice"),
    ("ojos amarillos", "jaundice"),
    ("passed out", "fainting"),
    ("me desmayé", "fainting"),
    ("me desmaye", "fainting"),
    ("weight gain", "weight_gain"),
    ("subí de peso", "weight_gain"),
    ("tired", "fatigue"),
    ("cansancio", "fatigue"),
    ("dry mouth", "dry_mouth"),
    ("boca seca", "dry_mouth"),
    # overlapping words: the clinically safe reading
    ("severe headache", "severe_headache"),
    ("worst headache of my life", "severe_headache"),
    ("dolor de cabeza muy fuerte", "severe_headache"),
    ("headache", "headache"),
    ("dolor de cabeza", "headache"),
    ("blistering rash", "rash_blisters"),
    ("rash with blisters", "rash_blisters"),
    ("rash and blisters", "rash_blisters"),
    ("chest pain", "chest_pain"),
    ("dolor de pecho", "chest_pain"),
    ("shaking chills", "rigors"),
    ("escalofríos", "rigors"),
    ("chills", "rigors"),
    ("coarse tremor", "coarse_tremor"),
    ("worse tremor", "coarse_tremor"),
    ("temblor fuerte", "coarse_tremor"),
    ("feel like throwing up", "nausea"),
    ("ganas de vomitar", "nausea"),
    ("mouth blisters", "mouth_sores"),
    ("throat closing", "facial_swelling"),
    ("swollen lips", "facial_swelling"),
    ("lengua hinchada", "facial_swelling"),
    ("swollen belly", "bloating"),
    ("stomach ache", "abdominal_pain"),
    ("dolor de estómago", "abdominal_pain"),
    ("upset stomach", "gi_upset"),
    ("sick to my stomach", "nausea"),
    ("I can't fall asleep", "insomnia"),
    ("I keep falling asleep", "drowsiness"),
    ("no duermo mucho", "insomnia"),
    ("a cold sweat", "sweating"),
    ("heart pain", "chest_pain"),
    ("muscle twitching", "clonus"),
    ("face twitching", "involuntary_movements"),
    ("sacudidas eléctricas", "brain_zaps"),
    # more of every part of the body
    ("high temp", "fever"),
    ("Fever 39C", "fever"),
    ("flu-like symptoms", "flu_like"),
    ("body aches", "flu_like"),
    ("gripe", "flu_like"),
    ("feeling very unwell", "feeling_very_unwell"),
    ("me siento muy mal", "feeling_very_unwell"),
    ("mouth ulcers", "mouth_sores"),
    ("llagas en la boca", "mouth_sores"),
    ("infection", "infection_signs"),
    ("tos", "infection_signs"),
    ("I have a cold", "infection_signs"),
    ("swollen glands", "swollen_glands"),
    ("ganglios inflamados", "swollen_glands"),
    ("weakness", "muscle_weakness"),
    ("debilidad muscular", "muscle_weakness"),
    ("unsteady", "ataxia"),
    ("pérdida de equilibrio", "ataxia"),
    ("slurred speech", "slurred_speech"),
    ("habla arrastrada", "slurred_speech"),
    ("tongue movements", "involuntary_movements"),
    ("movimientos involuntarios", "involuntary_movements"),
    ("can't sit still", "restlessness"),
    ("akathisia", "restlessness"),
    ("inquieto", "restlessness"),
    ("seizure", "seizure"),
    ("convulsiones", "seizure"),
    ("drooling", "drooling"),
    ("babeo", "drooling"),
    ("confused", "confusion"),
    ("confundida", "confusion"),
    ("drowsy", "drowsiness"),
    ("somnolencia", "drowsiness"),
    ("agitated", "agitation"),
    ("hearing voices", "hallucinations"),
    ("oigo voces", "hallucinations"),
    ("suicidal", "suicidal_thoughts"),
    ("no quiero vivir", "suicidal_thoughts"),
    ("I don't want to live", "suicidal_thoughts"),
    ("cutting myself", "self_harm_urges"),
    ("hacerme daño", "self_harm_urges"),
    ("depressed", "depression_worse"),
    ("triste", "depression_worse"),
    ("anxious", "anxiety_worse"),
    ("ansiedad", "anxiety_worse"),
    ("panic attack", "panic_attacks"),
    ("ataque de pánico", "panic_attacks"),
    ("irritable", "irritability"),
    ("angry", "aggression"),
    ("gambling", "impulsivity"),
    ("manic", "elevated_mood"),
    ("don't need sleep", "less_need_for_sleep"),
    ("nightmares", "vivid_dreams"),
    ("pesadillas", "vivid_dreams"),
    ("night sweats", "sweating"),
    ("sudoración", "sweating"),
    ("palpitations", "racing_heart"),
    ("taquicardia", "racing_heart"),
    ("tight chest", "chest_pain"),
    ("short of breath", "breathlessness"),
    ("falta de aire", "breathlessness"),
    ("can't breathe", "breathlessness"),
    ("slow breathing", "shallow_breathing"),
    ("fainted", "fainting"),
    ("light-headed", "dizziness"),
    ("lightheaded", "dizziness"),
    ("dizzzzy", "dizziness"),
    ("I fell", "falls"),
    ("me caí", "falls"),
    ("migraine", "headache"),
    ("brain zaps", "brain_zaps"),
    ("pins and needles", "tingling"),
    ("hormigueo", "tingling"),
    ("blurry vision", "blurred_vision"),
    ("visión borrosa", "blurred_vision"),
    ("ringing in my ears", "tinnitus"),
    ("nauseous", "nausea"),
    ("náuseas", "nausea"),
    ("the runs", "diarrhoea"),
    ("diarrea", "diarrhoea"),
    ("heartburn", "gi_upset"),
    ("bloated", "bloating"),
    ("no appetite", "loss_of_appetite"),
    ("sin apetito", "loss_of_appetite"),
    ("jaundice", "jaundice"),
    ("dark urine", "dark_urine"),
    ("orina oscura", "dark_urine"),
    ("very thirsty", "extreme_thirst"),
    ("mucha sed", "extreme_thirst"),
    ("peeing a lot", "polyuria"),
    ("orino mucho", "polyuria"),
    ("peeling skin", "skin_peeling"),
    ("red eyes", "eye_sores"),
    ("hives", "hives"),
    ("painful erection", "priapism"),
    ("took too many pills", "overdose"),
    ("sobredosis", "overdose"),
    ("gained weight", "weight_gain"),
    ("engordé", "weight_gain"),
    ("exhausted", "fatigue"),
    ("low libido", "sexual_dysfunction"),
    ("disfunción eréctil", "sexual_dysfunction"),
    ("something else", "other_symptom"),
    # inside a longer text
    ("I have had a sore throat since Monday", "sore_throat"),
    ("my throat hurts", "sore_throat"),
    ("tengo dolor de garganta", "sore_throat"),
    ("sorethroat", "sore_throat"),
    ("HeartRacing", "racing_heart"),
    ("something else and a rash", "rash_new"),
    ("headache and severe headache", "severe_headache"),
    ("fever, no rash", "fever"),
    # negatives: nothing, denied, or two different symptoms
    ("fine", None),
    ("nothing", None),
    ("ok", None),
    ("asdf", None),
    ("I feel great", None),
    ("", None),
    ("   ", None),
    ("none", None),
    ("n/a", None),
    ("no side effects", None),
    ("12345", None),
    ("other", None),
    ("pain", None),
    ("no fever", None),
    ("ya no tengo fiebre", None),
    ("denies chest pain", None),
    ("not dizzy anymore", None),
    ("I don't have a cold", None),
    ("no fever or rash", None),
    ("no tengo fiebre ni tos", None),
    ("fever and sore throat", None),
    ("rash with fever", None),
]


@pytest.mark.parametrize(("text", "code"), WORDS)
def test_words_map_onto_codes(text: str, code: str | None) -> None:
    assert code_for(text) == code


def test_the_table_is_big_and_covers_the_vocabulary() -> None:
    assert len(WORDS) >= 120
    assert {code for _, code in WORDS if code} == set(SYMPTOMS)


def test_two_symptoms_are_two_codes_in_text_order() -> None:
    assert codes_in("fever and sore throat") == ("fever", "sore_throat")
    assert codes_in("tengo tos y fiebre") == ("infection_signs", "fever")
    assert codes_in("rash with fever, no vomiting") == ("rash_new", "fever")
    assert codes_in("nothing") == ()


def test_denial_is_not_trusted_for_crisis_codes() -> None:
    assert code_for("no suicidal thoughts") == "suicidal_thoughts"
    assert code_for("I didn't overdose") == "overdose"
    assert code_for("no fever") is None


def test_every_code_maps_to_itself() -> None:
    for code in SYMPTOMS:
        assert code_for(code) == code
        assert code_for(code.upper()) == code
        assert code_for(code.replace("_", " ")) == code
        assert code_for(f" {code.replace('_', '-')} ") == code


def test_every_word_maps_to_its_code() -> None:
    for code, words in WORDS_BY_CODE.items():
        for word in words.all:
            assert code_for(word) == code, word
            assert code_for(word.upper()) == code, word


def test_no_word_is_claimed_by_two_codes() -> None:
    claims: dict[tuple[str, ...], set[str]] = defaultdict(set)
    compact: dict[str, set[str]] = defaultdict(set)
    for code in SYMPTOMS:
        claims[tuple(tokens(code))].add(code)
        compact["".join(tokens(code))].add(code)
    for code, words in WORDS_BY_CODE.items():
        for word in words.all:
            claims[tuple(tokens(word))].add(code)
            compact["".join(tokens(word))].add(code)
    assert {k: v for k, v in claims.items() if len(v) > 1} == {}
    assert {k: v for k, v in compact.items() if len(v) > 1} == {}


def test_each_code_lists_english_and_spanish_words_once() -> None:
    assert list(WORDS_BY_CODE) == list(SYMPTOMS)
    for code, words in WORDS_BY_CODE.items():
        assert words.en and words.es, code
        folded = [tuple(tokens(w)) for w in words.all]
        assert all(folded), code
        assert len(set(folded)) == len(folded), code  # no word twice (accents aside)
        assert tuple(tokens(code)) not in folded, code  # the code itself is implied


def test_known_and_the_rules_reexport() -> None:
    assert known("sore_throat") and not known("sore throat") and not known("")
    assert vocabulary.SYMPTOMS is SYMPTOMS
    assert vocabulary.known is known
    assert len(SYMPTOMS) == 74


@given(st.text())
def test_code_for_never_raises(text: str) -> None:
    code = code_for(text)
    assert code is None or known(code)
    assert all(known(c) for c in codes_in(text))


@given(
    st.sampled_from([(w, c) for c, ws in WORDS_BY_CODE.items() for w in ws.all]),
    st.sampled_from(["", " ", "  ", "\t", "-", "_", ".", "!", "\u2026"]),
    st.booleans(),
)
def test_any_word_however_typed(pair: tuple[str, str], edge: str, upper: bool) -> None:
    word, code = pair
    typed = edge + word.replace(" ", edge.strip() or " ") + edge
    assert code_for(typed.upper() if upper else typed) == code


def test_the_reference_doc_is_generated() -> None:
    assert DOC.read_text() == side_effects.markdown(), (
        "run: python -m shared.lexicon.side_effects > docs/side-effect-vocabulary.md"
    )
    assert "Generated by shared.lexicon.side_effects.markdown()" in side_effects.markdown()
