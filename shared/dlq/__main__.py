"""`python -m shared.dlq list|show|replay TOPIC` (see shared/dlq/cli.py)."""

from shared.dlq.cli import main

main()
