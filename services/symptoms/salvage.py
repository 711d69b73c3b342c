"""Fail safe on bad records: a record of mtm.symptoms that fails validation but carries a readable
risk signal (PHQ-9 item 9 > 0, a C-SSRS yes, crisis words or a red-flag symptom in a side-effect
report) is rescued as a smaller, valid event holding just that signal, and handled as any other.
The record itself is still dead-lettered (with a safety-lane warning); the rescued event raises
the safety alert and the crisis text it would have raised, once however often it is re-read."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared import events as ev
from shared.events.base import instant_or_none
from shared.lexicon import crisis, side_effects

RISK_ITEMS = {"PHQ-9": ("9",), "C-SSRS": ("1", "2", "3", "4", "5", "6", "6b")}
_ITEM = re.compile(r"^\D{0,8}?(\d{1,2})(b?)$")
_YES = frozenset({"yes", "y", "true", "si", "sí"})
_NO = frozenset({"no", "n", "false"})
_ID = re.compile(r"^[^\x00-\x1f]{1,128}$")


def rescue(raw: bytes | str, *, now: datetime) -> ev.Event | None:
    """The valid event holding a record's readable risk signal, or None when it has none."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    patient_id = _id(data.get("patient_id"))
    if patient_id is None:
        return None
    kind = data.get("event_type")
    try:
        if kind == "QuestionnaireCompleted":
            return _questionnaire(data, _envelope(data, patient_id, raw, now))
        if kind == "QuestionnaireItemAnswered":
            return _item(data, _envelope(data, patient_id, raw, now))
        if kind == "SideEffectReported":
            return _side_effects(data, _envelope(data, patient_id, raw, now))
    except ValidationError:
        return None
    return None


def _envelope(
    data: dict[str, Any], patient_id: str, raw: bytes | str, now: datetime
) -> dict[str, Any]:
    """What of the envelope can be read; the rest defaulted (ids from the record's bytes)."""
    digest = hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode()).hexdigest()[:24]
    return {
        "patient_id": patient_id,
        "site_id": _id(data.get("site_id")),
        "occurred_at": instant_or_none(data.get("occurred_at")) or now,
        "source": "salvaged",
        "correlation_id": _id(data.get("correlation_id")) or f"salvaged-{digest}",
        "_digest": digest,
    }


def _questionnaire(data: dict[str, Any], env: dict[str, Any]) -> ev.Event | None:
    instrument = data.get("instrument")
    if instrument not in RISK_ITEMS:
        return None
    answers = _answers(data.get("answers"), RISK_ITEMS[instrument])
    if not any(v >= 1 for v in answers.values()):
        return None
    digest = env.pop("_digest")
    return ev.QuestionnaireCompleted(
        **env,
        response_id=_id(data.get("response_id")) or f"salvaged-{digest}",
        instrument=instrument,
        answers=[
            ev.ItemAnswer(item=i, value=min(v, 1 if instrument == "C-SSRS" else 3))
            for i, v in answers.items()
        ],
        # Never "completed": a total from a partial read would be wrong; the risk items are
        # evaluated on an abandoned response all the same.
        status="in_progress",
        session_id=_id(data.get("session_id")),
    )


def _item(data: dict[str, Any], env: dict[str, Any]) -> ev.Event | None:
    instrument = data.get("instrument")
    if instrument not in RISK_ITEMS:
        return None
    item, value = _item_id(data.get("item")), _value(data.get("value"))
    session = _id(data.get("session_id"))
    if item not in RISK_ITEMS[instrument] or value is None or value < 1 or session is None:
        return None
    env.pop("_digest")
    return ev.QuestionnaireItemAnswered(
        **env,
        session_id=session,
        instrument=instrument,
        item=item,
        value=min(value, 1 if instrument == "C-SSRS" else 3),
    )


def _side_effects(data: dict[str, Any], env: dict[str, Any]) -> ev.Event | None:
    free_text = data.get("free_text")
    said = free_text if isinstance(free_text, str) else None
    effects: list[ev.SideEffect] = []
    for entry in data.get("effects") or [] if isinstance(data.get("effects"), list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            continue
        text = entry["code"].strip()
        severity = _value(entry.get("severity"))
        severity = 2 if severity is None else min(severity, 3)
        codes = (text,) if side_effects.known(text) else side_effects.codes_in(text)
        effects += [ev.SideEffect(code=code, severity=severity) for code in codes]
    # Any readable symptom may be a red flag for the patient's drugs: the rules decide.
    if not effects and crisis.screen(said) is None:
        return None
    digest = env.pop("_digest")
    return ev.SideEffectReported(
        **env,
        report_id=_id(data.get("report_id")) or f"salvaged-{digest}",
        effects=effects[:30],
        free_text=said[:1600] if said else None,
    )


def _answers(raw: Any, wanted: tuple[str, ...]) -> dict[str, int]:
    """The readable answers of the wanted items; a duplicated item keeps its highest value."""
    out: dict[str, int] = {}
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        item, value = _item_id(entry.get("item")), _value(entry.get("value"))
        if item in wanted and value is not None:
            out[item] = max(value, out.get(item, value))
    return out


def _item_id(raw: Any) -> str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str):
        found = _ITEM.match(raw.strip().lower())
        if found:
            return f"{int(found.group(1))}{found.group(2)}"
    return None


def _value(raw: Any) -> int | None:
    """An answer as a non-negative int: 1, "1", " 2 ", 1.0, true, "yes"; None if unreadable."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and raw >= 0 else None
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text.isdecimal():  # not isdigit: "²" is a digit int() refuses
            return int(text)
        if text in _YES:
            return 1
        if text in _NO:
            return 0
    return None


def _id(raw: Any) -> str | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str) and _ID.match(raw.strip()):
        return raw.strip()
    return None
