"""An installment released by a report waits for that report to be accepted (CONVENTIONS.md,
"Payments"): the one home of that rule, the condition of AUTHORIZE and PAY in
`grants.payments.workflow`.

Which report releases an installment is the schedule's choice (`triggers.report_releasing`, from
the one reporting calendar); whether that report is accepted is known to the accountability module,
which registers how to read its reports' states (`register_report_states`, done by
`grants.accountability.releases` at app start, as coordination does for cumulative aid), so payments
never imports accountability. With no reader registered, or before the report exists, a report-
released installment is refused (it cannot be accepted yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.agreements.obligations import ReportDue, ReportKind, reports_of
from grants.fiscal import FiscalYear
from grants.payments.triggers import REPORT_TRIGGERS, report_releasing


@dataclass(frozen=True)
class ReportState:
    """One report of an agreement as accountability sees it: its place in the calendar, whether it
    is accepted, and its state as people read it (a lazy label)."""

    due: ReportDue
    accepted: bool
    status: Any  # a labelled enum member: its `.label` is read in the reader's language


ReportStates = Callable[[int], "list[ReportState]"]
_readers: list[ReportStates] = []


def register_report_states(reader: ReportStates) -> None:
    """Accountability registers how to read an agreement's live reports (its id → their states)."""
    _readers[:] = [reader]


def report_states(agreement_id: int) -> list[ReportState]:
    return _readers[0](agreement_id) if _readers else []


class _Lowered:
    """A label inside a sentence (« le rapport d'étape 2026-2027 », « état : à faire »), read in
    the reader's language when the sentence is shown."""

    def __init__(self, label: Any, suffix: str = "") -> None:
        self.label, self.suffix = label, suffix

    def __str__(self) -> str:
        text = str(getattr(self.label, "label", self.label))  # an enum member, or a lazy string
        return text[:1].lower() + text[1:] + self.suffix


@dataclass(frozen=True)
class Waiting:
    """The report an installment waits for, not yet accepted."""

    kind: ReportKind
    fiscal_year: FiscalYear
    status: Any  # the report's state (a labelled enum member); None: not in the schedule yet

    @property
    def report(self) -> _Lowered:
        return _Lowered(self.kind, f" {self.fiscal_year}")

    @property
    def state(self) -> _Lowered:
        return _Lowered(self.status if self.status is not None else _l("à remettre"))


def waiting_for(installment: Any) -> Waiting | None:
    """The report that releases `installment` when it is not accepted yet; None when the
    installment is not released by a report, or its report is accepted."""
    kind = REPORT_TRIGGERS.get(installment.trigger)
    if kind is None:
        return None
    states = report_states(installment.agreement_id)
    calendar = [s.due for s in states] or reports_of(installment.agreement)
    closing = report_releasing(installment.trigger, installment.fiscal_year, calendar)
    if closing is None:  # no report in the calendar covers the year: name the one the trigger says
        return Waiting(kind, installment.fiscal_year, None)
    state = next(
        (s for s in states if (s.due.kind, s.due.fiscal_year) == (closing.kind, closing.fiscal_year)), None
    )
    if state is not None and state.accepted:
        return None
    return Waiting(closing.kind, closing.fiscal_year, state.status if state is not None else None)
