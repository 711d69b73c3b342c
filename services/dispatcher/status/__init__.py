"""Delivery status: callbacks matched to their send, and look-ups of the silent ones."""
