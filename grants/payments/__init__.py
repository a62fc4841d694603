"""Installments (versements): schedules, authorizations, holds, payments and totals per fiscal year."""
