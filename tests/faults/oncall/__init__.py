"""Unreachable on-call (ESC-UNREACHABLE) on the real paging path; full form only."""
