"""Inbound texts: crisis screen, keywords, replies read against the last prompt, re-asks."""
