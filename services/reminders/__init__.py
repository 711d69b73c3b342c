"""Appointment reminders: a booking confirmation, a cascade of durable reminders, notices."""
