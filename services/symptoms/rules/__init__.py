"""Pure rules of the symptoms service: plain data in, findings out, no I/O."""
