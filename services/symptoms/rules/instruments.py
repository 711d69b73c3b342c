"""The instruments (SYM-* rules): items with their LOINC codes, answer scales, totals and bands."""

from __future__ import annotations

from dataclasses import dataclass

# The PHQ/GAD 4-point frequency scale, LOINC answer codes [V].
FREQUENCY_ANSWERS = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
YES_NO_ANSWERS = {0: "LA32-8", 1: "LA33-6"}  # C-SSRS: No / Yes [V]


@dataclass(frozen=True)
class Band:
    """A severity band: totals from `low` up belong to it (until the next band)."""

    low: int
    name: str


@dataclass(frozen=True)
class Instrument:
    """Items (as printed) with LOINC codes, the answer range, total and bands."""

    name: str
    items: dict[str, str | None]
    max_value: int
    total_loinc: str | None
    panel_loinc: str | None
    bands: tuple[Band, ...] = ()
    scored: bool = True
    answer_codes: dict[int, str] | None = None

    def band(self, total: int) -> str | None:
        """The band of a total; None for instruments without validated bands (PCL-5)."""
        name = None
        for band in self.bands:
            if total >= band.low:
                name = band.name
        return name

    def loinc(self, item: str) -> str | None:
        return self.items.get(item)


PHQ9 = Instrument(
    name="PHQ-9",
    items={
        "1": "44250-9",
        "2": "44255-8",
        "3": "44259-0",
        "4": "44254-1",
        "5": "44251-7",
        "6": "44258-2",
        "7": "44252-5",
        "8": "44253-3",
        "9": "44260-8",
    },
    max_value=3,
    total_loinc="44261-6",
    panel_loinc="44249-1",
    bands=(
        Band(0, "minimal"),
        Band(5, "mild"),
        Band(10, "moderate"),
        Band(15, "moderately severe"),
        Band(20, "severe"),
    ),
    answer_codes=FREQUENCY_ANSWERS,
)

PHQ2 = Instrument(
    name="PHQ-2",
    items={"1": "44250-9", "2": "44255-8"},
    max_value=3,
    total_loinc="55758-7",  # [S]: seen in code maps only, not yet confirmed
    panel_loinc="55757-9",
    answer_codes=FREQUENCY_ANSWERS,
)

GAD7 = Instrument(
    name="GAD-7",
    items={
        "1": "69725-0",
        "2": "68509-9",
        "3": "69733-4",
        "4": "69734-2",
        "5": "69735-9",
        "6": "69689-8",
        "7": "69736-7",
    },
    max_value=3,
    total_loinc="70274-6",  # never the panel code 69737-5 (a common mix-up)
    panel_loinc="69737-5",
    bands=(Band(0, "minimal"), Band(5, "mild"), Band(10, "moderate"), Band(15, "severe")),
    answer_codes=FREQUENCY_ANSWERS,
)

# PCL-5: item and total LOINC codes are unverified (91006-2 is [U], an open question), so none
# are emitted; and there are no empirically derived severity bands, so none are invented.
PCL5 = Instrument(
    name="PCL-5",
    items={str(i): None for i in range(1, 21)},
    max_value=4,
    total_loinc=None,
    panel_loinc=None,
)

CSSRS = Instrument(
    name="C-SSRS",
    items={
        "1": "93246-7",
        "2": "93247-5",
        "3": "93248-3",
        "4": "93249-1",
        "5": "93250-9",
        "6": "93267-3",
        "6b": "93269-9",
    },
    max_value=1,
    total_loinc=None,
    panel_loinc=None,  # not verified: the items carry the codes
    scored=False,
    answer_codes=YES_NO_ANSWERS,
)
CSSRS_RISK_LOINC = "93374-7"  # derived suicide risk level

INSTRUMENTS: dict[str, Instrument] = {i.name: i for i in (PHQ9, PHQ2, GAD7, PCL5, CSSRS)}

# PCL-5 DSM-5 clusters (SYM-PCL5-PROVISIONAL): B intrusion, C avoidance, D cognition/mood,
# E arousal.
PCL5_CLUSTERS: dict[str, tuple[range, int]] = {
    "B": (range(1, 6), 1),
    "C": (range(6, 8), 1),
    "D": (range(8, 15), 2),
    "E": (range(15, 21), 2),
}
PCL5_ENDORSED = 2  # an item rated "moderately" or more counts as endorsed


def describe_item(instrument: str, item: str, value: int) -> str:
    """'PHQ-9 item 9 (LOINC 44260-8) = 2 (LA6570-1)' — PHI-minimal evidence text."""
    spec, yes_no = INSTRUMENTS[instrument], instrument == "C-SSRS"
    shown = ("yes" if value else "no") if yes_no else str(value)
    answer = (spec.answer_codes or {}).get(min(value, 1) if yes_no else value)
    shown += f" ({answer})" if answer else ""
    label = f"{instrument} Q{item}" if yes_no else f"{instrument} item {item}"
    code = spec.loinc(item)
    return f"{label} (LOINC {code}) = {shown}" if code else f"{label} = {shown}"
