"""Settings: MTM_-prefixed environment variables, nested with "__" (MTM_KAFKA__PORT).

A nested section's defaults are its model's own field defaults, never a pre-built instance that
differs from them: the environment overrides a nested field by building the model from the given
fields alone (MTM_ESCALATION__LADDERS__P1__MAX_REMINDERS=3 is `P1Ladder(max_reminders=3)`), so
any other default would be lost. tests/unit/shared/test_settings_overrides.py holds every nested
field of every service to it."""

from __future__ import annotations

from typing import Literal, Self, TypeVar

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.sites import SiteRegistry, SiteSection, demo_entries, demo_sites

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
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="SASL_SSL in production (docs/security.md)."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="SASL mechanism; PLAIN when a SASL protocol leaves it unset."
    )
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = Field(
        default=None, description="CA bundle for SSL/SASL_SSL (unset: the system's CAs)."
    )
    ssl_certfile: str | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS."
    )
    ssl_keyfile: str | None = Field(default=None, description="Its private key (PEM).")
    ssl_check_hostname: bool = Field(
        default=True, description="Check the broker's certificate matches its host name."
    )
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
    commit_interval_ms: int = Field(
        default=100,
        ge=0,
        le=5000,
        description=(
            "Offsets of handled records are committed together this often (0: one commit per"
            " record). A crash re-delivers at most this window; handlers are idempotent."
        ),
    )

    @model_validator(mode="after")
    def _complete_security(self) -> Self:
        # Fail at start-up with the variable's name, not at the first connection attempt.
        if self.security_protocol.startswith("SASL_") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs MTM_KAFKA__SASL_USERNAME "
                "and MTM_KAFKA__SASL_PASSWORD"
            )
        tls = self.security_protocol in ("SSL", "SASL_SSL")
        if not tls and (self.ssl_cafile or self.ssl_certfile or self.ssl_keyfile):
            raise ValueError("MTM_KAFKA__SSL_* files need security_protocol SSL or SASL_SSL")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("MTM_KAFKA__SSL_KEYFILE needs MTM_KAFKA__SSL_CERTFILE")
        return self


class RedisSettings(BaseModel):
    """Where Redis is."""

    url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"),
        description="redis:// or rediss:// URL; may carry a password, so it is a secret.",
    )
    namespace: str = Field(
        default="mtm", pattern=r"^[A-Za-z0-9_.-]+$", description="Prefix of every key."
    )
    username: str | None = Field(
        default=None, description="ACL user (AUTH username); a user in the URL wins."
    )
    password: SecretStr | None = Field(
        default=None, description="AUTH password, kept out of the URL; a password in the URL wins."
    )
    ssl_ca_certs: str | None = Field(
        default=None, description="CA bundle for a rediss:// URL (unset: the system's CAs)."
    )
    ssl_certfile: str | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS (rediss://)."
    )
    ssl_keyfile: str | None = Field(default=None, description="Its private key (PEM).")
    ssl_check_hostname: bool = Field(
        default=True, description="Check the server's certificate matches its host name."
    )

    @property
    def tls(self) -> bool:
        """The URL asks for TLS (rediss://)."""
        return self.url.get_secret_value().lower().startswith("rediss://")

    @model_validator(mode="after")
    def _tls_options_need_tls(self) -> Self:
        if not self.tls and (self.ssl_ca_certs or self.ssl_certfile or self.ssl_keyfile):
            raise ValueError("MTM_REDIS__SSL_* files need a rediss:// URL")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("MTM_REDIS__SSL_KEYFILE needs MTM_REDIS__SSL_CERTFILE")
        return self


class TwilioSettings(BaseModel):
    """Twilio REST credentials; base_url points the SDK at the fake Twilio in tests."""

    account_sid: str = Field(default="AC" + "0" * 32, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr = Field(default=SecretStr("changeme"))
    base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8099 (the fake).")
    opt_out_mode: Literal["twilio_default", "advanced"] = Field(
        default="twilio_default",
        description="How the account handles STOP/START/HELP: twilio_default (a fresh account: "
        "Twilio answers them with its own text and blocks a STOPped number) or advanced "
        "(Advanced Opt-Out on the Messaging Service: the account's own texts, OptOutType on "
        "the webhook). Either way the dispatcher never answers a keyword Twilio answered.",
    )


class LogSettings(BaseModel):
    """Logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = Field(default=True, description="One JSON object per line.")
    redact: bool = Field(default=True, description="Redact phone numbers, names and bodies.")


class HealthSettings(BaseModel):
    """The heartbeat file exec probes read (FastStream services; the gateway serves /healthz)."""

    file: str | None = Field(
        default=None,
        description="Rewritten while the service runs; `python -m shared.health [--ready]` "
        "checks it. Unset: no file.",
    )
    interval_seconds: float = Field(
        default=5.0, gt=0, le=60, description="How often it is rewritten (Kafka and Redis pinged)."
    )


class BaseServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it and adds its own section."""

    model_config = SettingsConfigDict(
        env_prefix="MTM_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    env: Environment = Field(
        default="development",
        description="production refuses placeholder secrets, the demo sites and missing URLs.",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    sites: SiteRegistry = Field(
        default_factory=demo_sites,
        min_length=1,
        description="The clinic sites, one registry for every service (JSON, by site id; "
        "shared/sites.py): the dispatcher, reminders and escalation read it. Default: the "
        "built-in demo sites, which production refuses.",
    )

    @property
    def uses_sites(self) -> bool:
        """The service reads the site registry (a section of it is a SiteSection)."""
        return any(isinstance(getattr(self, name), SiteSection) for name in type(self).model_fields)

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        """Secrets that must be real in production (a subclass adds its own)."""
        secrets: dict[str, SecretStr | None] = {}
        if self.kafka.security_protocol.startswith("SASL_") or self.kafka.sasl_mechanism:
            secrets["kafka.sasl_password"] = self.kafka.sasl_password
        if self.redis.password is not None:
            secrets["redis.password"] = self.redis.password
        return secrets

    def production_problems(self) -> list[str]:
        """What production mode refuses in these settings, each naming its variable (a subclass
        adds its own)."""
        problems: list[str] = []
        bad = [
            name
            for name, value in self.secrets_to_check().items()
            if value is None or value.get_secret_value().strip().lower() in PLACEHOLDERS
        ]
        if bad:
            problems.append(
                "missing or placeholder secrets: "
                + ", ".join(f"MTM_{n.upper().replace('.', '__')}" for n in bad)
            )
        demo = demo_entries(self.sites) if self.uses_sites else []
        if demo:
            problems.append(
                "the built-in demo sites (" + ", ".join(demo) + "): set MTM_SITES to the "
                "clinic's sites"
            )
        return problems

    @model_validator(mode="after")
    def _hand_over_sites(self) -> Self:
        for name in type(self).model_fields:
            section = getattr(self, name)
            if isinstance(section, SiteSection):
                setattr(self, name, section.with_sites(self.sites))
        return self

    @model_validator(mode="after")
    def _refuse_in_production(self) -> Self:
        if self.env == "production" and (problems := self.production_problems()):
            raise ValueError("production mode refuses " + "; ".join(problems))
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
