"""How mtm-notify is built, configured and run: the image, compose, Kubernetes, the local stack,
and the generators of what is derived from the code (`python -m deploy.generate`).

Never imported by a service at run time."""
