"""Key-field alerts (AUD-3): changes of columns declared ``info={"key_field": <name>}``
are detected in the ORM session, recorded as alerts and sent to the unit's managers."""
