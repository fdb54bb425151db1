"""Account lifecycle governance (IAM-3..6, IAM-8): new-location verification, training gate,
departures, permission-change approvals, idle-account reviews."""
