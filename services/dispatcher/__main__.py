"""`python -m services.dispatcher`: run the dispatcher until SIGTERM or SIGINT."""

from __future__ import annotations

from services.dispatcher.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app().run())


if __name__ == "__main__":
    main()
