"""`python -m services.adherence`: run the adherence service until SIGINT or SIGTERM."""

from __future__ import annotations

from services.adherence.app import create_app
from services.adherence.settings import AdherenceSettings
from shared.runtime import run_service
from shared.settings import load_settings


def main() -> None:
    # load_settings exits with the reasons only: a validation error would echo the Redis URL.
    run_service(create_app(load_settings(AdherenceSettings)).run())


if __name__ == "__main__":
    main()
