"""The offline hall (OPS-6, hall side; ADR 0035): a local node that keeps the counter taking
payments while the hall is cut off, and the server's exactly-once replay of its queue."""
