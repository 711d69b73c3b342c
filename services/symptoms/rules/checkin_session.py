"""An SMS check-in session as plain data: which item is asked, what an answer changes, and
what the session hands over when it ends (SYM-PHQ2-GATE; the 0-3 side-effect severity scale)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

Status = Literal["open", "completed", "expired", "stopped"]
SIDE_EFFECTS = "side_effects"
CHECKLIST_ITEM = "0"
# The side-effect checklist (option -> symptom code of the rules' vocabulary).
CHECKLIST: dict[int, str] = {
    1: "insomnia",
    2: "gi_upset",
    3: "weight_gain",
    4: "fatigue",
    5: "restlessness",
    6: "rash_new",
    7: "other_symptom",
}
# A chosen effect whose severity never came (the session ended first) is still reported: mild.
UNRATED_SEVERITY = 1
ITEMS: dict[str, tuple[str, ...]] = {
    "PHQ-2": ("1", "2"),
    "PHQ-9": tuple(str(i) for i in range(1, 10)),
    "GAD-7": tuple(str(i) for i in range(1, 8)),
}


@dataclass(frozen=True)
class Step:
    """The item being asked: instrument, item as printed, position in the session."""

    instrument: str
    item: str
    number: int
    of: int = 0
    """Items of the instrument as shown to the patient ("Q3/9"); 0 for side effects."""

    @property
    def checklist(self) -> bool:
        return self.instrument == SIDE_EFFECTS and self.item == CHECKLIST_ITEM

    @property
    def max_value(self) -> int:
        return max(CHECKLIST) if self.checklist else 3


@dataclass(frozen=True)
class Response:
    """A questionnaire response the session produced (status in_progress is never scored)."""

    response_id: str
    instrument: str
    answers: tuple[tuple[str, int], ...]
    status: Literal["completed", "in_progress"]


@dataclass(frozen=True)
class EffectsReport:
    """The side effects the patient reported: symptom code -> severity 0..3."""

    report_id: str
    effects: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Session:
    """One open (or ended) check-in of one patient."""

    session_id: str
    patient_id: str
    kind: str
    opened_at: datetime
    expires_at: datetime
    step: Step | None
    status: Status = "open"
    site_id: str | None = None
    answers: dict[str, dict[str, int]] = field(default_factory=dict)
    chosen: tuple[int, ...] = ()
    last_event: str = ""
    """The answer event applied last: its redelivery re-publishes, never re-applies."""

    @property
    def open(self) -> bool:
        return self.status == "open"

    def response_id(self, instrument: str) -> str:
        return f"{self.session_id}-{instrument.lower()}"


@dataclass(frozen=True)
class Outcome:
    """What one transition asks the service to publish, in this order."""

    session: Session
    responses: tuple[Response, ...] = ()
    report: EffectsReport | None = None

    @property
    def prompt(self) -> Step | None:
        return self.session.step if self.session.open else None


def first_step(kind: str) -> Step:
    """The first item of a check-in of this kind."""
    if kind == SIDE_EFFECTS:
        return Step(SIDE_EFFECTS, CHECKLIST_ITEM, 1)
    return Step(kind, "1", 1, len(ITEMS[kind]))


def start(
    *,
    session_id: str,
    patient_id: str,
    kind: str,
    opened_at: datetime,
    expires_at: datetime,
    site_id: str | None = None,
) -> Outcome:
    """A new session, its first item due."""
    return Outcome(
        Session(
            session_id=session_id,
            patient_id=patient_id,
            kind=kind,
            opened_at=opened_at,
            expires_at=expires_at,
            step=first_step(kind),
            site_id=site_id,
        )
    )


def _response(s: Session, instrument: str, status: Literal["completed", "in_progress"]) -> Response:
    answers = dict(s.answers.get(instrument, {}))
    if instrument == "PHQ-9" and s.kind == "PHQ-2":
        # The PHQ-9 that followed a positive PHQ-2 carries its items 1-2 (SYM-PHQ2-GATE).
        answers = {**s.answers.get("PHQ-2", {}), **answers}
    ordered = tuple(sorted(answers.items(), key=lambda kv: int(kv[0])))
    return Response(s.response_id(instrument), instrument, ordered, status)


def _report(s: Session, *, final: bool) -> EffectsReport:
    rated = s.answers.get(SIDE_EFFECTS, {})
    effects = []
    for option in s.chosen:
        value = rated.get(str(option))
        if value is None and not final:
            value = UNRATED_SEVERITY
        if value is not None:
            effects.append((CHECKLIST[option], value))
    return EffectsReport(s.session_id, tuple(effects))


def answer(
    s: Session,
    *,
    instrument: str,
    item: str,
    value: int,
    values: tuple[int, ...] = (),
    event_id: str = "",
    gate_min: int = 3,
) -> Outcome | None:
    """Apply the answer to the item being asked; None when it is not that item (a late or
    repeated answer, or a session that has ended), which changes nothing."""
    step = s.step
    if not s.open or step is None or (instrument, item) != (step.instrument, step.item):
        return None
    if step.checklist:
        chosen = tuple(sorted({v for v in values if v in CHECKLIST})) if value else ()
        s = replace(s, chosen=chosen, last_event=event_id)
        if not chosen:
            done = replace(s, status="completed", step=None)
            return Outcome(done, report=_report(done, final=True))
        return Outcome(replace(s, step=Step(SIDE_EFFECTS, str(chosen[0]), 2)))
    answers = {**s.answers, instrument: {**s.answers.get(instrument, {}), item: value}}
    s = replace(s, answers=answers, last_event=event_id)
    if instrument == SIDE_EFFECTS:
        rest = [o for o in s.chosen if int(item) < o]
        if rest:
            return Outcome(replace(s, step=Step(SIDE_EFFECTS, str(rest[0]), step.number + 1)))
        done = replace(s, status="completed", step=None)
        return Outcome(done, report=_report(done, final=True))
    items = ITEMS[instrument]
    position = items.index(item)
    if position + 1 < len(items):
        following = Step(instrument, items[position + 1], step.number + 1, step.of)
        return Outcome(replace(s, step=following))
    if instrument == "PHQ-2":
        screen = _response(s, "PHQ-2", "completed")
        if sum(v for _, v in screen.answers) >= gate_min:
            # SYM-PHQ2-GATE: PHQ-9 items 3-9 in the same session.
            return Outcome(replace(s, step=Step("PHQ-9", "3", step.number + 1, 9)), (screen,))
        return Outcome(replace(s, status="completed", step=None), (screen,))
    done = replace(s, status="completed", step=None)
    return Outcome(done, (_response(done, instrument, "completed"),))


def close(s: Session, status: Literal["expired", "stopped"]) -> Outcome | None:
    """End an open session early: the answers so far are stored in progress, never scored;
    side effects chosen so far are reported (unrated ones as mild). None if already ended."""
    if not s.open or s.step is None:
        return None
    current = s.step.instrument
    ended = replace(s, status=status, step=None)
    if current == SIDE_EFFECTS:
        return Outcome(ended, report=_report(ended, final=False) if s.chosen else None)
    response = _response(ended, current, "in_progress")
    return Outcome(ended, (response,) if response.answers else ())
