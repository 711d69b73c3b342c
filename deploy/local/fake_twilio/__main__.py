"""Run the fake on its own: python -m deploy.local.fake_twilio --port 8099."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .opt_out import MODES
from .server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m deploy.local.fake_twilio", description=__doc__)
    parser.add_argument("--port", type=int, default=8099, help="port (0: any free)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface (0.0.0.0 in a container only)"
    )
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--seed", type=int, default=None, help="seed for the fault RNG")
    parser.add_argument("--callback-delay-ms", type=int, default=20)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--opt-out-mode",
        choices=MODES,
        default="twilio_default",
        help="keyword handling: Twilio's default (standard replies) or Advanced Opt-Out",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGINT or SIGTERM."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    fake = FakeTwilio(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        port=args.port,
        seed=args.seed,
        callback_delay_ms=args.callback_delay_ms,
        host=args.host,
        opt_out_mode=args.opt_out_mode,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"fake Twilio on {fake.start()} (account {args.account_sid})", flush=True)
    while not stop.wait(1):
        pass
    fake.stop()


if __name__ == "__main__":
    main()
