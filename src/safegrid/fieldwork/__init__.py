"""Field work: work orders (the start of the field-work domain; IAM-7 contractors see only
the meters of work orders assigned to them)."""
