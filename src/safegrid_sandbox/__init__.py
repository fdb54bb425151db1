"""Development simulators that stand in for systems outside SafeGrid (a payment channel's
gateway). Never imported by the production package ``safegrid``; ``make demo`` starts them."""
