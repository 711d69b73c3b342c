"""Helpers that run the escalation service as a process for the integration tests."""
