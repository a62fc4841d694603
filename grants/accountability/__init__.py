"""Accountability reports (reddition de comptes)."""
