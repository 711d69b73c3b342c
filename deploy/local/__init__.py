"""This machine: the Kafka and Redis launcher, the local stack and the fake Twilio."""
