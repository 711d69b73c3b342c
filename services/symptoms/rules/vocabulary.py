"""The side-effect symptom codes a SideEffectReported may carry (patient-reportable wording).

Defined once in shared.lexicon.side_effects, with the English and Spanish words people use for
each code (`code_for`); re-exported here for the rules."""

from __future__ import annotations

from shared.lexicon.side_effects import SYMPTOMS, known

__all__ = ["SYMPTOMS", "known"]
