"""Contracts and plumbing shared by every mtm-notify service. No business rules live here."""
