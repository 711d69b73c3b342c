"""The symptoms service: instrument scoring, side-effect red flags, clinical alerts."""
