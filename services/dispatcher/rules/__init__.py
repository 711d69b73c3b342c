"""Pure rules of the dispatcher: plain data in, plain data out, the time passed in."""
