"""One home per rule (issue 9, item 2): each rule is pinned once, through the one function every
caller uses, and a search of the code makes sure no second implementation comes back."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from config import Config
from grants.agreements.obligations import ReportKind, reports_due
from grants.core import clock
from grants.core.money import round_cent
from grants.core.roles import CONTRIBUTOR_ROLES, MemberRole, StaffRole
from grants.fiscal import FiscalYear, Proration
from grants.payments.models import InstallmentTrigger
from grants.payments.schedule import planned_date
from grants.programs.models import Program
from grants.programs.rules import AmountLimits, amount_problem

# Programs are built in memory for the pure tests: every mapper they relate to must be known.
for _name in ("grants.organizations.models", "grants.accounts.models", "grants.requests.models"):
    importlib.import_module(_name)

ROOT = Path(__file__).resolve().parent.parent
Y2026 = FiscalYear(2026)


def _code_matching(pattern: str, *, homes: tuple[str, ...] = ()) -> list[str]:
    """Lines of grants/ and workers/ (Python and templates) matching `pattern`, outside `homes`."""
    found = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("grants", "workers")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".html", ".txt"} and str(path.relative_to(ROOT)) not in homes
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if found.search(line)
    ]


@pytest.mark.pure
def test_report_due_dates_come_from_the_reporting_calendar_and_payments_plan_on_them():
    reports = reports_due(date(2026, 4, 1), date(2027, 3, 31))
    assert [(r.kind, r.due) for r in reports] == [
        (ReportKind.MIDYEAR, date(2026, 10, 31)),
        (ReportKind.ANNUAL, date(2027, 6, 30)),
    ]
    # The installment a report releases is planned for the end of the month after its due date.
    assert planned_date(InstallmentTrigger.MIDYEAR_REPORT, Y2026, None, reports) == date(2026, 11, 30)
    assert planned_date(InstallmentTrigger.ANNUAL_REPORT, Y2026, None, reports) == date(2027, 7, 31)
    others = _code_matching(r"MIDYEAR_END\b|months_after\(", homes=("grants/agreements/obligations.py",))
    assert {line.partition(":")[0] for line in others} == {"grants/payments/schedule.py"}


@pytest.mark.pure
@pytest.mark.parametrize(
    ("proration", "maximum"), [(Proration.MONTHS, Decimal("87500.00")), (Proration.DAYS, Decimal("87260.27"))]
)
def test_the_annual_maximum_is_prorated_to_the_part_of_the_year_covered(proration, maximum):
    program = Program(proration=proration)
    limits = AmountLimits(program, Decimal("175000"), date(2026, 10, 1), date(2028, 3, 31))
    assert limits.maximum(Y2026) == maximum
    assert limits.maximum(FiscalYear(2027)) == Decimal("175000")
    assert amount_problem(maximum, Y2026, limits, zero_allowed=False) is None
    refused = amount_problem(maximum + Decimal("0.01"), Y2026, limits, zero_allowed=False)
    assert refused is not None and "au prorata" in refused
    # Requests, the review's decision and amendments all ask amount_problem; nothing else compares.
    assert (
        _code_matching(r"maximum_for\(", homes=("grants/programs/rules.py", "grants/programs/models.py"))
        == []
    )


def test_the_programs_a_user_sees_in_lists(app):
    from grants.core.db import db
    from grants.core.permissions import program_filter, visible_program_ids
    from tests.factories import member, program, staff

    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    cell = staff(StaffRole.COORDINATION_CELL)
    admin = staff(StaffRole.SYSTEM_ADMIN)
    organization_member = member(MemberRole.ACCOUNT_ADMIN)
    db.session.commit()
    assert visible_program_ids(officer) == frozenset({program("TNCES").id})
    assert visible_program_ids(cell) is None and visible_program_ids(admin) is None
    assert visible_program_ids(organization_member) == frozenset()
    listed = db.session.scalars(db.select(Program.code).where(program_filter(officer, Program.id))).all()
    assert listed == ["TNCES"]
    # The lists (queue, calls, agreements, payments, reports, home) ask it; no view reads the
    # officer's assignments itself.
    assert (
        _code_matching(
            r"officer_program_ids\(", homes=("grants/core/permissions.py", "grants/accounts/models.py")
        )
        == []
    )


@pytest.mark.pure
def test_money_is_rounded_half_up_to_the_cent():
    assert round_cent("0.005") == Decimal("0.01")
    assert round_cent(Decimal("2.675")) == Decimal("2.68")
    assert round_cent(Decimal("87260.2739")) == Decimal("87260.27")
    assert round_cent("-0.005") == Decimal("-0.01")
    assert round_cent(175000) == Decimal("175000.00")
    assert _code_matching(r"quantize\((CENT|Decimal\(\"0\.01\"\))", homes=("grants/core/money.py",)) == []


def test_the_minimum_password_length(app):
    from flask import current_app

    from grants.accounts.forms import NewPasswordForm
    from grants.accounts.passwords import minimum_length

    assert minimum_length() == current_app.config["PASSWORD_MIN_LENGTH"] == 12
    with app.test_request_context():
        for password, valid in (("a" * 11, False), ("a" * 12, True)):
            form = NewPasswordForm(
                MultiDict({"password": password, "confirm": password}), meta={"csrf": False}
            )
            assert form.validate() is valid, form.errors
        assert "12 caractères" in str(form.password.description)
    assert (
        _code_matching(
            r"PASSWORD_MIN_LENGTH|\b12 caract|least 12|< ?12\b", homes=("grants/accounts/passwords.py",)
        )
        == []
    )


def test_the_current_action_plan(app):
    from grants.reference.queries import current_plan

    assert current_plan(FiscalYear(2025)).code == "2021-2026"
    assert current_plan(FiscalYear(2026)).code == "2026-2029"  # from 1 April 2026
    assert current_plan(FiscalYear(2040)).code == "2026-2029"  # until another plan starts
    assert current_plan(FiscalYear(2000)) is None
    with clock.frozen(datetime(2027, 1, 15, 12, tzinfo=UTC)):
        assert current_plan().code == "2026-2029"
    assert _code_matching(r"ActionPlan\.start_year\.desc\(\)\)\.limit|code=\"20\d\d-20\d\d\"") == []


@pytest.mark.pure
def test_the_time_zone_is_quebecs_and_read_in_one_place():
    assert Config.TIME_ZONE == Config.BABEL_DEFAULT_TIMEZONE == "America/Montreal"
    assert clock.TIME_ZONE.key == "America/Montreal"
    assert _code_matching(r"America/|ZoneInfo\(", homes=("grants/core/clock.py",)) == []


@pytest.mark.pure
def test_today_is_the_date_in_quebec():
    """21 h 30 in Montreal on 14 November is already the 15th in UTC. (That nothing but the clock
    asks the system for the date is checked in tests/test_clock.py.)"""
    with clock.frozen(datetime(2030, 11, 15, 2, 30, tzinfo=UTC)):
        assert clock.today() == date(2030, 11, 14)
        assert clock.current_fiscal_year() == FiscalYear(2030)
    with clock.frozen(datetime(2030, 4, 1, 3, 0, tzinfo=UTC)):  # 31 March, 23 h in Montreal
        assert clock.current_fiscal_year() == FiscalYear(2029)


def test_the_contributor_roles(app):
    from grants.accounts.queries import recipients_of_organization
    from grants.core.db import db
    from grants.core.permissions import can_contribute
    from tests.factories import OrganizationFactory, member

    assert {MemberRole.ACCOUNT_ADMIN, MemberRole.CONTRIBUTOR} == CONTRIBUTOR_ROLES
    organization = OrganizationFactory()
    users = {role: member(role, organization=organization) for role in MemberRole}
    db.session.commit()
    for role, user in users.items():
        assert can_contribute(user, organization.id) is (role in CONTRIBUTOR_ROLES), role
    recipients = recipients_of_organization(organization.id, contributors_only=True)
    assert {u.id for u in recipients} == {users[r].id for r in CONTRIBUTOR_ROLES}
    assert _code_matching(r"MemberRole\.CONTRIBUTOR\s*[,}\]]", homes=("grants/core/roles.py",)) == []


@pytest.mark.pure
def test_audit_entries_are_written_only_by_core_audit():
    """One at a time (`record`), or in bulk (`record_many`, `record_from_select`): never by hand."""
    pattern = r"AuditEntry\(|AuditEntry\.__table__|insert\(AuditEntry|audit_entries\b.*insert"
    assert _code_matching(pattern, homes=("grants/core/audit.py",)) == []
