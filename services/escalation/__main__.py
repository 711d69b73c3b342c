"""`python -m services.escalation`: run the escalation service until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio

from services.escalation.app import create_app


def main() -> None:
    asyncio.run(create_app().run())


if __name__ == "__main__":
    main()
