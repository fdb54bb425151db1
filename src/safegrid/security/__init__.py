"""Authentication, authorisation policy and row scope, audit, masking."""
