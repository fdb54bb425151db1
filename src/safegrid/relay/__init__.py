"""The outbox relay (ADR 0016): the one way events leave — to in-process subscribers
(:func:`safegrid.platform.events.subscribe`) and registered webhooks (signed, retried with
backoff, dead after too many attempts, re-queued by an administrator)."""
