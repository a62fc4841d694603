"""Funding requests: drafts, budgets, other funding sources, attachments, submission, state machine."""
