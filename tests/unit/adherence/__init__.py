"""Unit tests of the adherence service."""
