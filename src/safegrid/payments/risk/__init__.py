"""The payment risk engine (PAY-4, PAY-5): rules as data, decisions, step-up, risk cases."""
