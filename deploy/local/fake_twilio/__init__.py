"""A fake Twilio Messages API for tests, local runs and benchmarks (see README.md here)."""

from .model import MAGIC_TO, TwilioError
from .sdk import LocalAsyncTwilioHttpClient, LocalTwilioHttpClient
from .server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from .state import KNOBS

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "KNOBS",
    "MAGIC_TO",
    "FakeTwilio",
    "LocalAsyncTwilioHttpClient",
    "LocalTwilioHttpClient",
    "TwilioError",
]
