"""The one clock: every "today" is the date in Quebec, whatever the server's time zone (issue 12,
item 6). The moments chosen are already the next day in UTC but still today in Montreal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from grants.core import clock
from grants.core.clock import current_fiscal_year
from grants.core.db import db, utcnow
from grants.core.formatting import long_date
from grants.fiscal import FiscalYear

EVENING_IN_QUEBEC = datetime(2030, 11, 15, 2, 30, tzinfo=UTC)  # 14 November 2030, 21 h 30 (EST)
LAST_NIGHT_OF_THE_YEAR = datetime(2030, 4, 1, 3, 0, tzinfo=UTC)  # 31 March 2030, 23 h (EDT)


@pytest.mark.pure
def test_dates_are_taken_in_quebec_not_on_server_utc_time():
    with clock.frozen(EVENING_IN_QUEBEC):
        assert clock.now() == EVENING_IN_QUEBEC and utcnow() == EVENING_IN_QUEBEC
        assert clock.local_now().hour == 21 and str(clock.local_now().tzinfo) == "America/Montreal"
        assert clock.today() == date(2030, 11, 14)
        assert long_date(clock.now()) == "14 novembre 2030"
    with clock.frozen(LAST_NIGHT_OF_THE_YEAR):
        assert clock.today() == date(2030, 3, 31)
        assert current_fiscal_year() == FiscalYear(2029)  # 2029-2030 until midnight in Quebec
    assert clock.today(at=EVENING_IN_QUEBEC) == date(2030, 11, 14)
    assert clock.today(at=EVENING_IN_QUEBEC + timedelta(hours=3)) == date(2030, 11, 15)


@pytest.mark.pure
def test_the_clock_runs_again_after_the_block_and_refuses_naive_moments():
    with clock.frozen(EVENING_IN_QUEBEC):
        pass
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError), clock.frozen(datetime(2030, 1, 1)):
        pass
    with pytest.raises(ValueError):
        clock.today(at=datetime(2030, 1, 1))


@pytest.mark.pure
def test_nothing_but_the_clock_asks_the_system_for_the_date():
    """`date.today()`, `datetime.now()` and a UTC timestamp's `.date()` give the server's day."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    forbidden = re.compile(
        r"date\.today\(|datetime\.(now|utcnow|today)\(|utcnow\(\)\.date\(|_at\.date\(\)|time\.localtime"
    )
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("grants", "workers")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if forbidden.search(line)
    ]
    assert offenders == []


def test_installments_at_signature_get_the_date_of_the_countersignature_in_quebec():
    """Countersigned at 21 h 30 in Montreal on 14 November: the installment "at signature" is
    planned for the 14th, not for tomorrow (the UTC date)."""
    from grants.agreements import operations as agreements
    from grants.core.roles import MemberRole
    from grants.payments.models import Installment, InstallmentTrigger
    from tests.factories import member
    from tests.test_agreements import approved

    agreement, officer = approved("TNCES", years=2)
    signer = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    agreements.accept(
        agreement, agreement.current, actor=signer, signatory_name="A", signatory_title="B", ip_address=None
    )
    with clock.frozen(datetime(2026, 11, 15, 2, 30, tzinfo=UTC)):
        agreements.countersign(agreement, agreement.current, actor=officer)
    db.session.commit()
    at_signature = db.session.scalars(
        db.select(Installment).filter_by(agreement_id=agreement.id, trigger=InstallmentTrigger.SIGNATURE)
    ).one()
    assert at_signature.planned_date == date(2026, 11, 14)
