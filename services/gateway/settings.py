"""Settings of the gateway: the shared sections plus `gateway` (MTM_GATEWAY__*)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from shared.settings import TwilioServiceSettings


class GatewaySection(BaseModel):
    """Where the gateway listens, the URL Twilio calls, and its limits."""

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port to listen on.")
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description=(
            "Scheme, host and any path prefix Twilio calls, e.g. https://sms.example.org "
            "(behind a reverse proxy: the proxy's public address). Signatures are checked "
            "against it plus the request's path and query. Unset: the URL the request arrived "
            "at (development only)."
        ),
    )
    webhook_shared_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            'Webhook SharedKeys by key id, as JSON ({"webhooks_sharedkey_...": "<secret>"}): '
            "a webhook whose X-Twilio-Webhooks-Signature-Settings names one of them is checked "
            "with its secret and the algorithm it names (HMAC_SHA256); without that header, "
            "with the auth token (HMAC_SHA1). A key id not listed here: 403."
        ),
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Larger request bodies are refused with 400."
    )
    max_form_fields: int = Field(default=200, ge=10, description="More form fields: 400.")
    dedupe_ttl_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long a published MessageSid is remembered."
    )
    claim_lease_seconds: int = Field(
        default=120, ge=5, description="How long an unfinished publish holds its MessageSid."
    )
    publish_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=12,
        description="Longer and the webhook is answered 503 (Twilio waits 15 s).",
    )
    ready_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often Kafka and Redis are checked for /readyz."
    )
    ready_timeout_seconds: float = Field(default=0.5, gt=0, description="Timeout of one check.")


class GatewaySettings(TwilioServiceSettings):
    """Everything the gateway reads from the environment."""

    gateway: GatewaySection = Field(default_factory=GatewaySection)

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {
            **super().secrets_to_check(),
            **{
                f"gateway.webhook_shared_keys.{key_id}": secret
                for key_id, secret in self.gateway.webhook_shared_keys.items()
            },
        }

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        # Behind a proxy the URL a request arrives at is not the one Twilio signed.
        if not self.gateway.public_base_url:
            problems.append("a missing MTM_GATEWAY__PUBLIC_BASE_URL (the URL Twilio calls)")
        return problems
