"""Test helpers that ship with the contracts: event factories."""
