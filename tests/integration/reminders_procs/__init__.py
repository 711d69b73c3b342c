"""Helpers of the reminders integration tests: settings, the service in-process or as a process."""
