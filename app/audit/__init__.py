"""Audit log: who did what to whose data, for exports, imports, role changes and privacy requests."""
