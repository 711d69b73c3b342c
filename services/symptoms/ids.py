"""The symptoms service's id space: the uuid5 of every alert, crisis text and check-in event it
derives, from the business key, so a re-publication carries the ids of the first."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from shared.ids import IdSpace

IDS = IdSpace(uuid5(NAMESPACE_URL, "urn:mtm-notify:symptoms"), source="symptoms")
"""`IDS.id(kind, key)` = uuid5(namespace, f"{kind}:{key}"); fixed forever (see shared/ids.py)."""
