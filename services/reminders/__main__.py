"""`python -m services.reminders`: run the reminders service until SIGINT or SIGTERM."""

from __future__ import annotations

from services.reminders.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app().run())


if __name__ == "__main__":
    main()
