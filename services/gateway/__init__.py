"""The gateway: the only receiver of Twilio's webhooks; checks, deduplicates and publishes them."""
