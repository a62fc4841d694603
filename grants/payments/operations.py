"""Every change to installments, by concern, in one place to import from:

- `schedule`: the schedule built from the program's payment plan (on `agreement_created`), the
  planned dates, the dating of installments due at signature (on `agreement_in_force`);
- `edits`: an officer's edit of a year, and the rebalancing after a year's new amount (one
  agreement, or thousands at once for a CPI indexation);
- `transitions`: authorize, pay, hold, release, cancel — and the accountability hooks
  `hold_installments` / `release_holds`.
"""

from __future__ import annotations

from grants.payments.edits import (
    ScheduleError,
    ScheduleRow,
    edit_year_schedule,
    rebalance_many,
    rebalance_year,
    spread,
)
from grants.payments.queries import installments_of, schedule_of
from grants.payments.schedule import create_schedule, planned_date, split, steps_for_year
from grants.payments.transitions import apply_event, hold_installments, release_holds

__all__ = [
    "ScheduleError",
    "ScheduleRow",
    "apply_event",
    "create_schedule",
    "edit_year_schedule",
    "hold_installments",
    "installments_of",
    "planned_date",
    "rebalance_many",
    "rebalance_year",
    "release_holds",
    "schedule_of",
    "split",
    "spread",
    "steps_for_year",
]
