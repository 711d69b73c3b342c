"""Phone numbers: E.164, valid, in a region we text."""

from __future__ import annotations

import phonenumbers


def textable(phone: str, allowed_regions: frozenset[str]) -> bool:
    """A valid E.164 number of an allowed region (numbers we may text at all)."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != phone:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return phonenumbers.region_code_for_number(parsed) in allowed_regions
