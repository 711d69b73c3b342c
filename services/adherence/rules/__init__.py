"""Pure adherence rules: plain data in, plain data out, the current time passed in as a value."""
