"""SMS templates in English and Spanish: GSM-7, one segment, PHI-minimal (SMS-CONTENT).

A template has a minimal text and, for a few, a detailed text used only when the recipient
opted in to detailed messages. Variables are validated by name, so a caller cannot slip a
drug name into a field meant for a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.dispatcher.rules.content import fits_one_segment, is_gsm7
from services.dispatcher.rules.localtime import zone_abbreviation
from services.dispatcher.texts import checkin_render
from services.dispatcher.texts.template_texts import TEXTS, Texts

__all__ = ["TEMPLATES", "Rendered", "SiteText", "TemplateError", "render"]

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*([AaPp])\.?\s*[Mm]\.?)?$")
_PATTERNS = {
    "code": re.compile(r"^\d{3,8}$"),
    "severity": re.compile(r"^P[0-3]$"),
    "count": re.compile(r"^\d{1,4}$"),
    "max": re.compile(r"^[1-9]$"),
    "drug": re.compile(r"^[a-z][a-z -]{1,30}$"),
    "question": re.compile(r"^[^{}]{5,90}$"),
    "clinician": re.compile(r"^[A-Za-z0-9._-]{1,24}$"),
}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mie", "jue", "vie", "sab", "dom"),
}


class TemplateError(ValueError):
    """The request cannot be rendered (unknown template, missing or malformed variable)."""


@dataclass(frozen=True)
class SiteText:
    """What a site contributes to a text."""

    display_name: str
    help_phone: str


@dataclass(frozen=True)
class Rendered:
    body: str
    detailed: bool


TEMPLATES: dict[str, Texts] = TEXTS
CHECKIN = "checkin_item"


def _clock(hour: int, minute: int) -> str:
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def _time(value: str) -> str:
    match = _TIME.match(value.strip())
    if not match:
        raise TemplateError("time must look like 08:00 or 8:00 AM")
    hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise TemplateError("time out of range")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or minute > 59:
        raise TemplateError("time out of range")
    return _clock(hour, minute)


def _when(value: str, zone: str, language: str) -> str:
    try:
        start = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TemplateError("start must be an ISO 8601 instant") from exc
    if start.tzinfo is None:
        raise TemplateError("start must carry a UTC offset")
    local = start.astimezone(ZoneInfo(zone))
    day = _DAYS[language][local.weekday()]
    clock = f"{_clock(local.hour, local.minute)} {zone_abbreviation(start, zone)}"
    if language == "es":
        return f"{day} {local.day}/{local.month} a las {clock}"
    return f"{day} {local.month}/{local.day} at {clock}"


def _values(variables: dict[str, str], *, zone: str, language: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, raw in variables.items():
        if name == "time":
            values["time"] = _time(raw)
        elif name == "start":
            values["when"] = _when(raw, zone, language)
        elif name in _PATTERNS:
            if not _PATTERNS[name].match(raw) or not is_gsm7(raw):
                raise TemplateError(f"variable {name} is malformed")
            values[name] = raw
    return values


def render(
    template_id: str,
    *,
    language: str,
    variables: dict[str, str],
    site: SiteText,
    detailed: bool,
    zone: str,
    per_day: int = 10,
) -> Rendered:
    """The body of one SMS; the detailed text only with consent, and only if it fits."""
    language = language if language in ("en", "es") else "en"
    if template_id == CHECKIN:
        return _checkin(variables, language=language, site=site, detailed=detailed)
    texts = TEMPLATES.get(template_id)
    if texts is None:
        raise TemplateError(f"unknown template {template_id}")
    values = {
        **_values(variables, zone=zone, language=language),
        "site": site.display_name,
        "phone": site.help_phone,
        "freq": str(per_day),
    }
    values.setdefault("max", "3")
    if detailed and texts.detailed:
        try:
            body = texts.detailed[language].format_map(values)
        except KeyError:
            body = ""
        if body and fits_one_segment(body):
            return Rendered(body, True)
    try:
        body = texts.minimal[language].format_map(values)
    except KeyError as exc:
        raise TemplateError(f"template {template_id} needs variable {exc.args[0]}") from exc
    if not fits_one_segment(body):
        raise TemplateError(f"template {template_id} does not fit one GSM-7 segment")
    return Rendered(body, False)


def _checkin(
    variables: dict[str, str], *, language: str, site: SiteText, detailed: bool
) -> Rendered:
    """A check-in item: the first of its wordings that fits one segment (checkin_render)."""
    if not all(is_gsm7(v) and len(v) <= 16 for v in variables.values()):
        raise TemplateError("check-in variables are malformed")
    try:
        for body, is_detailed in checkin_render.candidates(
            variables, language=language, site=site.display_name, detailed=detailed
        ):
            if fits_one_segment(body):
                return Rendered(body, is_detailed)
    except (checkin_render.CheckinTextError, KeyError, ValueError) as exc:
        raise TemplateError(f"check-in item cannot be rendered: {exc}") from exc
    raise TemplateError("check-in item does not fit one GSM-7 segment")
