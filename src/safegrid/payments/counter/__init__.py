"""The counter and the daily cash (PAY-1, PAY-2): receipts, dual control, drawer, safe and
bank deposit."""
