"""Backups and restores (OPS-4): encrypted, verified after writing, kept 30 days; SQLite by
its online backup API, PostgreSQL by pg_basebackup plus archived WAL (point-in-time
recovery); a restore drill that measures the recovery time."""
