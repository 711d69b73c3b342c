"""Helpers of the adherence integration tests: settings, the service in-process (fake or scaled
time) or as a process, and publishing and reading events on the real Kafka."""
