"""Settings: defaults, per-site cascades and the environment."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.reminders.settings import OffsetSettings, RemindersSettings


def test_defaults() -> None:
    policy = RemindersSettings().reminders.policy()
    assert {k: s.zone for k, s in policy.sites.items()} == {
        "austin": "America/Chicago",
        "houston": "America/Chicago",
        "el-paso": "America/Denver",
        "seattle": "America/Los_Angeles",
        "spokane": "America/Los_Angeles",
    }
    assert [(o.name, o.before, o.clock, o.modality, o.reask) for o in policy.default_cascade] == [
        ("d3", timedelta(days=3), "wall", None, True),
        ("d1", timedelta(days=1), "wall", None, True),
        ("h2", timedelta(hours=2), "absolute", "in_person", False),
        ("m15", timedelta(minutes=15), "absolute", "telehealth", False),
    ]
    assert policy.site("unknown").zone == "America/Chicago"


def test_environment_sets_the_cascade_and_a_sites_own_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "MTM_REMINDERS__CASCADE",
        '[{"name": "s9", "before": 9, "clock": "absolute"'
        ', "reask": true}, {"name": "s3", "before": "PT3S", "clock": "absolute"}]',
    )
    site = {"display_name": "Clinic X", "help_phone": "303-555-0100", "from_number": "+13035550100"}
    monkeypatch.setenv(
        "MTM_SITES",
        json.dumps(
            {
                "clinic-x": {**site, "zone": "America/Denver"},
                "clinic-y": {**site, "zone": "America/New_York"},
            }
        ),
    )
    monkeypatch.setenv(
        "MTM_REMINDERS__SITE_CASCADES",
        '{"clinic-x": [{"name": "d2", "before": "P2D", "clock": "wall"}]}',
    )
    monkeypatch.setenv("MTM_REMINDERS__TIMER_LEASE_SECONDS", "2")
    section = RemindersSettings().reminders
    policy = section.policy()
    assert [(o.name, o.before) for o in policy.default_cascade] == [
        ("s9", timedelta(seconds=9)),
        ("s3", timedelta(seconds=3)),
    ]
    assert [o.name for o in policy.site("clinic-x").cascade] == ["d2"]
    assert policy.site("clinic-x").zone == "America/Denver"
    assert policy.site("clinic-y").cascade == policy.default_cascade
    assert policy.site("clinic-y").zone == "America/New_York"
    assert policy.site("austin").zone == "America/Chicago"  # not a site: the default zone
    assert section.timer_lease_seconds == 2


def test_a_cascade_of_a_site_not_in_the_registry_is_refused() -> None:
    cascade = [{"name": "d2", "before": "P2D", "clock": "wall"}]
    with pytest.raises(ValidationError, match="SITE_CASCADES names sites not in MTM_SITES: tacoma"):
        RemindersSettings(reminders={"site_cascades": {"tacoma": cascade}})
    with pytest.raises(ValidationError, match="MTM_REMINDERS__SITE_CASCADES"):
        RemindersSettings(reminders={"sites": {"austin": {"zone": "America/Chicago"}}})


@pytest.mark.parametrize(
    "offset",
    [
        {"name": "x", "before": "PT36H", "clock": "wall"},  # wall offsets are whole days
        {"name": "x", "before": 0, "clock": "absolute"},
        {"name": "X", "before": 60, "clock": "absolute"},
    ],
)
def test_bad_offsets_are_refused(offset: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OffsetSettings.model_validate(offset)


@pytest.mark.parametrize("names", [["a", "a"], ["rebook"]])
def test_cascade_names_are_unique_and_not_reserved(names: list[str]) -> None:
    cascade = [{"name": n, "before": 60, "clock": "absolute"} for n in names]
    with pytest.raises(ValidationError):
        RemindersSettings(reminders={"cascade": cascade})
