"""Collection (BILL-5) and arrears (BILL-6): write-offs, monitoring, instalments, late fees,
reminders and the disconnection-notice workflow, keyed on ``billing.models.Bill``."""
