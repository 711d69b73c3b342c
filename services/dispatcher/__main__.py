"""`python -m services.dispatcher`: run the dispatcher until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio

from services.dispatcher.app import create_app


def main() -> None:
    asyncio.run(create_app().run())


if __name__ == "__main__":
    main()
