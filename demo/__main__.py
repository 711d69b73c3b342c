"""`python -m demo` (`make demo`): play the scripted days, print timeline and summary."""

from __future__ import annotations

import argparse
import asyncio
import sys

from demo.run import run
from shared.logging import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="service logs on stderr (JSON, redacted); default WARNING",
    )
    args = parser.parse_args(argv)
    configure_logging(level=args.log_level, json_format=True, redact=True)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    report = asyncio.run(run())
    print("\n".join(report.lines))
    for problem in report.problems:
        print(f"demo failed: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
