"""Unreachable on-call (ESC-UNREACHABLE) through the real paging path, counted at the fake Twilio:
a P0 whose site's on-call cannot be reached pages the fallback at once, warns once, and never
loops or storms over a simulated day (tests/faults/oncall/run.py has the four cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.private_kafka import PrivateKafka
from tests.faults.oncall.run import CASES, Result, p0_plan, run, section

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]


async def test_unreachable_on_call_pages_the_fallback_at_once_and_stays_bounded(
    fault_infra: PrivateKafka, oncall_report: list[Result], fault_logs: Path
) -> None:
    workdir = fault_logs / "unreachable-on-call"
    result = await run(fault_infra, workdir)
    oncall_report.append(result)
    plan = p0_plan(section())
    assert plan.repeat_every is not None and plan.max_repeats is not None
    details = "\n".join(
        [
            *(str(f.as_dict()) for f in result.figures),
            *result.timeline,
            *result.notes,
            f"service logs: {workdir}",
        ]
    )
    assert [f.case for f in result.figures] == [c.name for c in CASES], details
    assert (result.exits, result.dead_letters, result.lag) == (0, 0, 0), details
    for case, f in zip(CASES, result.figures, strict=True):
        where = f"{case.name}: {f.as_dict()}\n{details}"
        assert f.code is not None, where  # the alert was opened and paged
        # Bounded over the simulated day, and nothing sent without (or beyond) its page.
        assert 0 < f.pages <= f.bound, where
        assert f.sms <= f.bound, where
        assert (f.sms_untraced, f.sms_duplicated) == (0, 0), where
        # One SMS per page the fake took; a refused create (21610, 21211) leaves none.
        taken = sum(n for role, n in f.pages_to_site.items() if role not in case.created)
        assert f.sms_site == taken, where
        assert f.sms_fallback == f.pages - sum(f.pages_to_site.values()), where
        assert f.exhausted == 1, where
        assert f.rounds <= plan.max_repeats, where
        # Failures never make a repeat round come sooner (1 ms for the clocks' rounding).
        assert f.min_gap is not None and f.min_gap >= plan.repeat_every - 0.001, where
        # A number that failed for good is paged once (its rung), never by a repeat round.
        for role in case.for_good():
            assert f.pages_to_site.get(role) == 1, where
        if case.reaches_fallback:
            assert f.fallback_after is not None, where
            assert f.fallback_after <= f.limit, where
            assert f.no_reachable == 1, where
        else:
            assert (f.fallback_after, f.sms_fallback, f.no_reachable) == (None, 0, 0), where
            assert not any(r.startswith("fallback_") for r in f.pages_by_role), where
            assert f.backup_delivered, where
            assert f.backup_after is not None and f.backup_after <= f.limit, where
