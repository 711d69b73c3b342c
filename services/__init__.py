"""The services of mtm-notify, one package each."""
