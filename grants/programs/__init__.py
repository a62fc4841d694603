"""Funding programs and their envelopes per fiscal year."""
