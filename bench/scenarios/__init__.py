"""The five scenarios of `make bench`."""
