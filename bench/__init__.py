"""`make bench`: throughput and latency scenarios against a real Kafka and Redis (see README.md)."""
