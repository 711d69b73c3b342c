"""Which consumer groups each service joins, so a scenario can wait until it really listens."""

from __future__ import annotations

from shared import topics
from shared.broker import group_id

G = topics.Groups


def groups(service: str, prefix: str) -> list[str]:
    """The consumer groups of a service under a topic prefix (see each service's handlers)."""

    def g(service_group: str, *names: str) -> list[str]:
        return [group_id(service_group, t, prefix=prefix) for t in names]

    table = {
        "dispatcher": [
            *g(G.DISPATCHER_URGENT, topics.NOTIFY_URGENT),
            *g(G.DISPATCHER_ROUTINE, topics.NOTIFY_ROUTINE),
            *g(
                G.DISPATCHER,
                topics.PATIENTS,
                topics.CLINICIANS,
                topics.SMS_INBOUND,
                topics.SMS_STATUS,
            ),
        ],
        "escalation": g(G.ESCALATION, topics.ALERTS, topics.CLINICIANS, topics.NOTIFY_STATUS),
        "adherence": [prefix + G.ADHERENCE],
        "reminders": g(G.REMINDERS, topics.APPOINTMENTS, topics.PATIENTS),
        "symptoms": g(
            G.SYMPTOMS,
            topics.SYMPTOMS,
            topics.MEDICATIONS,
            topics.PATIENTS,
            topics.APPOINTMENTS,
            topics.ALERTS,
        ),
        "gateway": [],
    }
    return table[service]
