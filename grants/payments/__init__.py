"""Installments (versements): schedules, authorizations, holds, payments and totals per fiscal year.

Importing the package connects its receivers to the agreements' signals (grants.payments.receivers)."""

from grants.payments import receivers as receivers
