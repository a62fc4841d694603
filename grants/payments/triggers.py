"""What releases an installment (the program's payment plan names these), and which report releases
one: `report_releasing`, the one rule the schedule (`grants.payments.schedule`), the authorization's
condition (`grants.payments.release`) and the accountability module's acceptance all follow.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.agreements.obligations import ReportDue, ReportKind, report_closing
from grants.core.enums import LabelledEnum
from grants.fiscal import FiscalYear


class InstallmentTrigger(LabelledEnum):
    """What releases an installment (the program's payment plan names these)."""

    SIGNATURE = "signature", _l("À la signature")  # first year
    YEAR_START = "year_start", _l("Au début de l'exercice")
    MIDYEAR_REPORT = "midyear_report", _l("Après acceptation du rapport d'étape")
    ANNUAL_REPORT = "annual_report", _l("Après acceptation du rapport annuel")
    FINAL_REPORT = "final_report", _l("Après acceptation du rapport final")
    DATE = "date", _l("À la date prévue")  # a date the officer set


REPORT_TRIGGERS = {
    InstallmentTrigger.MIDYEAR_REPORT: ReportKind.MIDYEAR,
    InstallmentTrigger.ANNUAL_REPORT: ReportKind.ANNUAL,
    InstallmentTrigger.FINAL_REPORT: ReportKind.FINAL,
}
TRIGGER_OF_REPORT = {kind: trigger for trigger, kind in REPORT_TRIGGERS.items()}


def report_releasing(
    trigger: InstallmentTrigger | str, year: FiscalYear, reports: list[ReportDue]
) -> ReportDue | None:
    """The report whose acceptance releases an installment of `year` with `trigger` (None when no
    report releases it)."""
    kind = REPORT_TRIGGERS.get(InstallmentTrigger(trigger))
    if kind is None:
        return None
    return report_closing(reports, year, kind)
