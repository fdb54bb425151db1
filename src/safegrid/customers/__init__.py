"""Customer archive (BILL-1): customers, accounts, supply points, meters, contracts."""
