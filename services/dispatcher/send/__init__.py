"""Sending one request: claim, rules, render, the Twilio call exactly once, the outcome."""
