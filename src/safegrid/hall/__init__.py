"""The smart business hall (HALL-1..9): halls, windows, the queue, its event store and feed."""
