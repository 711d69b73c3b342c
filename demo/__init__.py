"""`make demo`: a scripted clinic day with all six services in one process, in memory."""
