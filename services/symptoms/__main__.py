"""`python -m services.symptoms`: run the symptoms service until interrupted."""

from __future__ import annotations

import asyncio

from services.symptoms.app import create_app


def main() -> None:
    asyncio.run(create_app().run())


if __name__ == "__main__":
    main()
