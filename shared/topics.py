"""Every topic name, consumer group and Redis key prefix, in one place."""

from __future__ import annotations

from typing import Final

PATIENTS: Final = "mtm.patients"
APPOINTMENTS: Final = "mtm.appointments"
MEDICATIONS: Final = "mtm.medications"
SYMPTOMS: Final = "mtm.symptoms"
CLINICIANS: Final = "mtm.clinicians"
ALERTS: Final = "mtm.alerts"
NOTIFY_URGENT: Final = "mtm.notify.urgent"
NOTIFY_ROUTINE: Final = "mtm.notify.routine"
NOTIFY_STATUS: Final = "mtm.notify.status"
SMS_INBOUND: Final = "mtm.sms.inbound"
SMS_STATUS: Final = "mtm.sms.status"

ALL_TOPICS: Final = (
    PATIENTS,
    APPOINTMENTS,
    MEDICATIONS,
    SYMPTOMS,
    CLINICIANS,
    ALERTS,
    NOTIFY_URGENT,
    NOTIFY_ROUTINE,
    NOTIFY_STATUS,
    SMS_INBOUND,
    SMS_STATUS,
)

DLQ_SUFFIX: Final = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


class Groups:
    """Kafka consumer groups: one per service (the dispatcher has one per lane)."""

    GATEWAY: Final = "mtm-gateway"
    DISPATCHER: Final = "mtm-dispatcher"
    DISPATCHER_URGENT: Final = "mtm-dispatcher-urgent"
    DISPATCHER_ROUTINE: Final = "mtm-dispatcher-routine"
    REMINDERS: Final = "mtm-reminders"
    ADHERENCE: Final = "mtm-adherence"
    SYMPTOMS: Final = "mtm-symptoms"
    ESCALATION: Final = "mtm-escalation"


class RedisPrefix:
    """Redis key namespaces, one per service; a service reads and writes only its own.

    The full prefix is `<MTM_REDIS__NAMESPACE>:<service>` (see `redis_prefix`)."""

    GATEWAY: Final = "gateway"
    DISPATCHER: Final = "dispatcher"
    REMINDERS: Final = "reminders"
    ADHERENCE: Final = "adherence"
    SYMPTOMS: Final = "symptoms"
    ESCALATION: Final = "escalation"
    DLQ: Final = "dlq"
    """The dead-letter tool's replay ledger (`python -m shared.dlq`)."""
    TEST: Final = "test"


def redis_prefix(namespace: str, service: str) -> str:
    """The key prefix of a service inside a Redis namespace (default namespace "mtm")."""
    return f"{namespace}:{service}"
