"""Channel callbacks (PAY-6, PAY-7): the fast endpoint, intake and verification, the durable
inbox's door and its applier (ADR 0013)."""
