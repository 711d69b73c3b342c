"""The dispatcher, SIGKILLed right after Twilio accepts its first message (once per marker).

`python -m tests.integration.dispatcher_procs.crash_after_send` with MTM_TEST_CRASH_MARKER set to
a file path: the first accepted send writes the SID there and kills the process before the
send's claim is completed or its Kafka offset committed, i.e. between the Twilio call and the
commit. The production code has no such hook; this wraps the adapter from outside.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from services.dispatcher.app import create_app
from services.dispatcher.sender import Accepted, Outbound, TwilioSms

MARKER = Path(os.environ["MTM_TEST_CRASH_MARKER"])
_send = TwilioSms.send


async def send_then_die(self: TwilioSms, message: Outbound) -> Accepted:
    accepted = await _send(self, message)
    if not MARKER.exists():
        MARKER.write_text(accepted.sid)
        os.kill(os.getpid(), signal.SIGKILL)
    return accepted


def main() -> None:
    TwilioSms.send = send_then_die  # type: ignore[method-assign]
    asyncio.run(create_app().run())


if __name__ == "__main__":
    main()
