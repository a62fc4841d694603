"""Yearly CPI indexation of multi-year grants: per-program rules, runs with preview, approval,
application, notices and reversal."""
