"""`python -m services.gateway`: serve the gateway with uvicorn on MTM_GATEWAY__HOST:PORT."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings


def load_settings() -> GatewaySettings:
    """The settings, or exit with the reasons (pydantic's own message would echo secrets)."""
    try:
        return GatewaySettings()
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False, include_context=False)
        )
        sys.exit(f"gateway: invalid settings: {reasons}")


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.gateway.host,
        port=settings.gateway.port,
        log_config=None,  # keep the project's JSON, redacted logging
        access_log=False,  # the gateway logs each webhook itself, with its MessageSid and outcome
        server_header=False,
        proxy_headers=False,  # signatures use the configured public URL, never forwarded headers
    )


if __name__ == "__main__":
    main()
