"""Accountability reports (reddition de comptes).

Layout: `models.py` (tables), `workflow.py` (the one state table), `operations.py` (every change),
`validation.py` (what is wrong, on which field), `queries.py` (reads, the officer's queue),
`forms.py`, `views.py` (`/redditions/`, `/redditions/analyse/`), `pdf.py` (the submitted version),
`program_report.py` (the program report PDF of a fiscal year: set-based figures, suppression, built
by a Celery task through `grants.core.jobs`), `reminders.py` (the daily scan: reminders and overdue
notices, each (report, step) claimed once; their history), `seed.py` + `data/indicators.yaml`,
`cli.py` (`grants reports schedule|hold-late|pdf|reminders`), `adsplus.py` (the ADS+ vocabulary,
breakdown checks and aggregation for `grants.core.suppression`).

For what comes next (reminders, program reports):
- `Report.due_date` is the one date reminders follow (an officer's extension moves it; the
  calendar's date stays in `scheduled_due`). A reminder log keyed by (report, step) fits beside it.
- `workflow.AWAITING_SUBMISSION` are the reports still owed; `queries.late_condition(today)` is
  "late" in SQL.
- Submitted figures: `ReportReachCount` (report, ADS+ variable, category, count) and
  `Report.people_total` feed `adsplus.aggregate` / `by_group`; `ReportIndicatorValue` keeps the
  target frozen at submission; `ReportFinanceLine` the statement by budget line.
- `operations.hold_late_reports()` is safe to run daily (a beat task can call it).
"""
