"""Meter readings (BILL-2): daily registers, manual/terminal entry, bulk and AMI imports."""
