"""`python -m services.escalation`: run the escalation service until SIGTERM or SIGINT."""

from __future__ import annotations

from services.escalation.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app().run())


if __name__ == "__main__":
    main()
