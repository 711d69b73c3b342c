"""Pure rules of the escalation service: plain data in, plain data out, time passed in."""
