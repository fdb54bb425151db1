"""Shared kernel: database, unit of work, events and outbox, money, clock."""
