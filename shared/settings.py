"""Settings: MTM_-prefixed environment variables, nested with "__" (MTM_KAFKA__PORT)."""

from __future__ import annotations

from typing import Literal, Self, TypeVar

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "placeholder", "secret", "xxx", "todo", "test"}
)


class KafkaSettings(BaseModel):
    """Where Kafka is and how to reach it."""

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="host:port[,host:port]")
    client_id: str = Field(
        default="mtm-notify", description="Client id prefix shown in broker logs."
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = Field(default=None, description="CA bundle for SSL/SASL_SSL.")
    topic_prefix: str = Field(
        default="",
        pattern=r"^[a-z0-9._-]*$",
        description="Prepended to every topic (isolates test runs).",
    )
    dlq_after_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="A handler that raises this many times sends the record to <topic>.dlq.",
    )
    retry_backoff_seconds: float = Field(
        default=0.2, ge=0, description="First retry delay; doubles."
    )


class RedisSettings(BaseModel):
    """Where Redis is."""

    url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"),
        description="redis:// or rediss:// URL; may carry a password, so it is a secret.",
    )
    namespace: str = Field(
        default="mtm", pattern=r"^[A-Za-z0-9_.-]+$", description="Prefix of every key."
    )


class TwilioSettings(BaseModel):
    """Twilio REST credentials; base_url points the SDK at the fake Twilio in tests."""

    account_sid: str = Field(default="AC" + "0" * 32, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr = Field(default=SecretStr("changeme"))
    base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8099 (the fake).")


class LogSettings(BaseModel):
    """Logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = Field(default=True, description="One JSON object per line.")
    redact: bool = Field(default=True, description="Redact phone numbers, names and bodies.")


class BaseServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it and adds its own section."""

    model_config = SettingsConfigDict(
        env_prefix="MTM_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    env: Environment = Field(
        default="development", description="production refuses placeholder secrets."
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        """Secrets that must be real in production (a subclass adds its own)."""
        return (
            {"kafka.sasl_password": self.kafka.sasl_password} if self.kafka.sasl_mechanism else {}
        )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Self:
        if self.env != "production":
            return self
        bad = [
            name
            for name, value in self.secrets_to_check().items()
            if value is None or value.get_secret_value().strip().lower() in PLACEHOLDERS
        ]
        if bad:
            raise ValueError(
                "production mode refuses missing or placeholder secrets: "
                + ", ".join(f"MTM_{n.upper().replace('.', '__')}" for n in bad)
            )
        return self


class TwilioServiceSettings(BaseServiceSettings):
    """Settings of a service that holds the Twilio auth token (the dispatcher, the gateway)."""

    twilio: TwilioSettings = Field(default_factory=TwilioSettings)

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {**super().secrets_to_check(), "twilio.auth_token": self.twilio.auth_token}


S = TypeVar("S", bound=BaseServiceSettings)


def load_settings(cls: type[S]) -> S:
    """Read settings; on error exit with the reasons only (pydantic would echo the secrets)."""
    try:
        return cls()
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or cls.__name__}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )
        raise SystemExit(f"invalid settings ({cls.__name__}): {reasons}") from None
