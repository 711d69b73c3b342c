"""`python -m services.reminders`: run the reminders service until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio

from services.reminders.app import create_app


def main() -> None:
    asyncio.run(create_app().run())


if __name__ == "__main__":
    main()
