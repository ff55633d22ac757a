"""Append-only audit trail: who changed which record, when, and how."""
