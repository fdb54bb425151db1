"""Security operations and resilience (OPS-1..8): behaviour analytics over the audit and
access logs, response playbooks, the posture dashboard, backups with timed restores,
emergency plans and drills, hazard reports and attack detection."""
