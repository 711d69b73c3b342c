"""Write (or check) everything derived from the code.

    python -m deploy.generate          # rewrite what is stale
    python -m deploy.generate --check  # exit 1 and name what is stale (what the tests do)

What it derives: the event catalogue (docs/events.md) and the configuration reference
(docs/configuration.md), the AsyncAPI
document of each FastStream service in docs/asyncapi/, the topics in deploy/k8s/topics/
(Strimzi KafkaTopic resources and the equivalent kafka-topics.sh script), each service's Kafka
principal in deploy/k8s/users/ (Strimzi KafkaUser resources with their ACLs) and the clinical
rule catalogue docs/clinical-rules.md (from the services' rule tables)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from deploy import asyncapi, clinical_rules, reference, topics
from deploy.services import ROOT

COMMAND = "python -m deploy.generate"
EVENTS = ROOT / "docs" / "events.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
TOPICS_DIR = ROOT / "deploy" / "k8s" / "topics"
USERS_DIR = ROOT / "deploy" / "k8s" / "users"


def targets() -> dict[Path, Callable[[], str]]:
    """Each generated file and how to render its content now."""
    out: dict[Path, Callable[[], str]] = {
        EVENTS: lambda: reference.render_sections(EVENTS.read_text(), "events"),
        CONFIGURATION: lambda: reference.render_sections(CONFIGURATION.read_text(), "config"),
        TOPICS_DIR / "topics.yaml": topics.strimzi_yaml,
        TOPICS_DIR / "create-topics.sh": topics.create_topics_script,
        USERS_DIR / "users.yaml": topics.strimzi_users_yaml,
        clinical_rules.OUT: clinical_rules.render,
    }
    for name, text in asyncapi.documents().items():
        out[asyncapi.OUT / name] = lambda text=text: text  # type: ignore[misc]
    return out


def stale() -> dict[Path, str]:
    """The files whose content differs from what the code renders, with that content."""
    wanted = {path: render() for path, render in targets().items()}
    return {p: text for p, text in wanted.items() if not p.exists() or p.read_text() != text}


def orphans() -> list[Path]:
    """Generated AsyncAPI documents of services that no longer exist."""
    names = set(asyncapi.documents())
    return sorted(p for p in asyncapi.OUT.glob("*.json") if p.name not in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    changed, extra = stale(), orphans()
    for path in [*changed, *extra]:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    if args.check:
        if changed or extra:
            print(f"run `{COMMAND}` (or `make generate`) and commit the result", file=sys.stderr)
            return 1
        return 0
    for path, text in changed.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for path in extra:
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
