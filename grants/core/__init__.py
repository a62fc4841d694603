"""Shared foundations: database, translations, formatting, audit trail, permissions, security."""
