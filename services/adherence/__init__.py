"""Adherence: dose schedules and reminders, missed doses, PDC, refills and adherence alerts."""
