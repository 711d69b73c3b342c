"""`python -m services.symptoms`: run the symptoms service until interrupted."""

from __future__ import annotations

from services.symptoms.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app().run())


if __name__ == "__main__":
    main()
