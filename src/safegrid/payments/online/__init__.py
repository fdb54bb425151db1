"""Online payment channels (PAY-3, PAY-6): orders, the public portal, daily limits, channel
adapters with their signatures and keys."""
