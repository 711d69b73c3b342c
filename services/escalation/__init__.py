"""The escalation service: on-call rosters, clinician pages, escalation until acknowledged."""
