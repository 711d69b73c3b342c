"""Unit tests of the escalation service."""
