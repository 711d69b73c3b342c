"""Fault injection against the real stack: each scenario drives a known workload through the six
services, the private Kafka and Redis and the fake Twilio, pulls its lever mid-workload, and
counts what reached the phones (see tests/faults/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.private_kafka import PrivateKafka
from tests.faults.scenarios import Outcome, Scenario, run, scenarios

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s.name)
async def test_nothing_lost_and_nothing_sent_twice(
    scenario: Scenario, fault_infra: PrivateKafka, fault_report: list[Outcome], workdir: Path
) -> None:
    outcome = await run(scenario, fault_infra, workdir)
    fault_report.append(outcome)
    t = outcome.tally
    details = "\n".join(
        [
            f"{scenario.name}: {t.as_dict()}",
            *outcome.timeline,
            f"service logs: {workdir}",
        ]
    )
    assert (t.lost, t.duplicated) == (0, 0), details
    assert t.alerts_raised == t.alerts_expected, details
    assert (t.acked, t.at_last_step) == (t.acked_expected, t.last_step_expected), details
    assert t.replies_applied == t.replies_sent, details
    assert t.statuses_missing == 0, details
    assert t.unexpected == t.dead_letters == t.lag == 0, details
    assert t.exits == 0, details  # every service rode the fault out (or was killed on purpose)
