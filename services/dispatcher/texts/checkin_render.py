"""The body of one check-in SMS: the candidates in order of preference (detailed first when
consented, the time frame, the fullest answer legend), so the caller can take the first that
fits one GSM-7 segment. Variables: instrument, item, of (items shown as "Q3/9"), reask."""

from __future__ import annotations

from collections.abc import Iterator

from services.dispatcher.texts import checkin_texts as texts

SCALED = {"PHQ-2": texts.PHQ, "PHQ-9": texts.PHQ, "GAD-7": texts.GAD}
SIDE_EFFECTS = "side_effects"


class CheckinTextError(ValueError):
    """The variables name no check-in item."""


def _scaled(
    variables: dict[str, str], language: str, head: str, reask: str, detailed: bool
) -> Iterator[tuple[str, bool]]:
    instrument, item = variables["instrument"], variables["item"]
    question = SCALED[instrument].get(item)
    of = variables.get("of", "")
    if question is None or not of.isdigit() or not 0 < int(item) <= int(of) <= 9:
        raise CheckinTextError(f"no item {item} of {of} in {instrument}")
    minimal, fuller = question[language]
    position = texts.POSITION[language].format(n=item, of=of)
    frames = (texts.FRAME[language], "") if item == "1" else ("",)
    tails = texts.FREQUENCY_TAILS[language]
    variants = [(f"{texts.LABELS[instrument]} {position}", fuller or minimal, True)] * detailed
    variants.append((position, minimal, False))
    for label, wording, is_detailed in variants:
        for frame in frames:
            for tail in tails:
                yield f"{head}{reask}{label} {frame}{wording} {tail}", is_detailed
    if reask:
        # Asked again: the question is in the text just before; the legend matters most.
        yield f"{head}{reask}{position} {tails[-1]}", False


def _side_effects(
    variables: dict[str, str], language: str, head: str, reask: str, detailed: bool
) -> Iterator[tuple[str, bool]]:
    item = variables["item"]
    stop = texts.CHECKLIST_STOP[language]
    if item == "0":
        label = texts.CHECKLIST_DETAILED[language]
        for wording in texts.CHECKLIST[language]:
            if detailed:
                yield f"{head}{reask}{label}{wording} {stop}", True
            yield f"{head}{reask}{wording} {stop}", False
        if reask:
            yield f"{head}{texts.CHECKLIST_AGAIN[language]} {stop}", False
        return
    effect = texts.EFFECTS[language].get(item)
    if effect is None:
        raise CheckinTextError(f"no side-effect option {item}")
    question = texts.SEVERITY_QUESTION[language].format(effect=effect)
    for tail in texts.SEVERITY_TAILS[language]:
        yield f"{head}{reask}{question} {tail}", False


def candidates(
    variables: dict[str, str], *, language: str, site: str, detailed: bool
) -> Iterator[tuple[str, bool]]:
    """(body, detailed) in order of preference."""
    instrument = variables.get("instrument", "")
    if "item" not in variables or variables["item"] not in {str(i) for i in range(10)}:
        raise CheckinTextError("a check-in item needs an item number")
    reask = ""
    if variables.get("reask") == "1":
        chosen = instrument == SIDE_EFFECTS and variables["item"] == "0"
        reask = (texts.REASK_CHECKLIST if chosen else texts.REASK)[language] + " "
    head = f"{site}: "
    if instrument in SCALED:
        yield from _scaled(variables, language, head, reask, detailed)
    elif instrument == SIDE_EFFECTS:
        yield from _side_effects(variables, language, head, reask, detailed)
    else:
        raise CheckinTextError(f"unknown check-in instrument {instrument!r}")
