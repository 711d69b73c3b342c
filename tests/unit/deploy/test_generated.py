"""What is generated from the code is up to date: the event catalogue and
configuration reference, the AsyncAPI documents, the topic manifests and script. On failure,
run `python -m deploy.generate` (or `make generate`) and commit the result."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from deploy import asyncapi, generate, reference
from deploy.asyncapi import OUT
from deploy.services import BROKERS, HTTP_SERVICES, ROOT, service_names

TARGETS = generate.targets()


@pytest.mark.parametrize("path", sorted(TARGETS), ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_file_is_current(path: Path) -> None:
    wanted = TARGETS[path]()
    current = path.read_text() if path.exists() else ""
    if current != wanted:
        diff = "".join(
            list(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    wanted.splitlines(keepends=True),
                    "in the repository",
                    "from the code",
                    n=1,
                )
            )[:40]
        )
        pytest.fail(
            f"{path.relative_to(ROOT)} is stale: run `{generate.COMMAND}` (or `make generate`) "
            f"and commit the result.\n{diff}"
        )


def test_no_document_of_a_service_that_is_gone() -> None:
    assert generate.orphans() == [], f"run `{generate.COMMAND}`"


def test_every_faststream_service_has_a_document() -> None:
    assert sorted(BROKERS) == [s for s in service_names() if s not in HTTP_SERVICES]
    assert sorted(p.stem for p in OUT.glob("*.json")) == sorted(BROKERS)


def test_the_reference_docs_have_their_generated_sections() -> None:
    for doc, name in (("events.md", "events"), ("configuration.md", "config")):
        text = (ROOT / "docs" / doc).read_text()
        start, end = reference.markers(name)
        assert text.count(start) == 1 and text.count(end) == 1, f"{doc}: {start} ... {end}"
    assert set(reference.SECTIONS) == {"events", "config"}


def test_rendering_is_deterministic() -> None:
    assert asyncapi.document("reminders") == asyncapi.document("reminders")
    assert reference.event_catalogue() == reference.event_catalogue()
    assert reference.configuration_reference() == reference.configuration_reference()


def _readme_consumes() -> dict[str, set[str]]:
    """The `consumes` cell of each row of the README's services table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Services", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        match = re.match(r"\| \[`([a-z]+)`\]\([^)]*\)[^|]*\| ([^|]*) \|", line)
        if match:
            rows[match.group(1)] = set(re.findall(r"`(mtm\.[a-z.]+)`", match.group(2)))
    return rows


@pytest.mark.parametrize("service", sorted(BROKERS))
def test_the_services_table_lists_what_each_service_subscribes_to(service: str) -> None:
    document = json.loads((OUT / f"{service}.json").read_text())
    subscribed = {channel["address"] for channel in document["channels"].values()}
    assert _readme_consumes()[service] == subscribed, (
        f"README services table, {service}: consumes should be {sorted(subscribed)}"
    )


def test_the_services_table_has_a_row_per_service() -> None:
    assert sorted(_readme_consumes()) == service_names()
