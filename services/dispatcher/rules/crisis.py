"""Crisis language (SE-ANY-EMERGENCY) in an inbound text: the shared screen's P0 or P1,
even inside an opt-out."""

from __future__ import annotations

from shared.lexicon.crisis import CrisisMatch, screen

__all__ = ["RULE_ID", "CrisisMatch", "screen"]

RULE_ID = "SE-ANY-EMERGENCY"
