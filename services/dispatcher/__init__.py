"""The dispatcher: the only service that talks to Twilio's REST API."""
