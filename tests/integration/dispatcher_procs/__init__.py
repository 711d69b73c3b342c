"""Helpers for the dispatcher's integration tests: in-process runs and crash-prone processes."""
