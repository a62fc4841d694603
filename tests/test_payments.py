"""Payments: the schedule follows the program's plan to the cent, an officer's edit must add up,
each move of an installment follows the table and is audited, holds come and go through the
hooks accountability will call, and the totals and CSV say the same thing."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.fiscal import FiscalYear
from grants.payments import operations
from grants.payments.models import HoldSource, Installment, InstallmentStatus
from grants.payments.operations import split
from grants.payments.queries import agreement_totals, program_totals
from grants.payments.workflow import InstallmentEvent, InstallmentTransitionRefused
from grants.programs.operations import set_envelope
from tests.factories import OrganizationFactory, accepted_report, agreement_in_force, member, program, staff
from tests.helpers import csrf_token, normalize_spaces
from tests.test_agreements import approved


def installments(year: int | None = None) -> list[Installment]:
    statement = db.select(Installment).order_by(Installment.fiscal_year, Installment.sequence)
    if year is not None:
        statement = statement.where(Installment.fiscal_year == FiscalYear(year))
    return list(db.session.scalars(statement))


def test_split_gives_the_odd_cent_to_the_last_step():
    plan = [{"percent": "50"}, {"percent": "50"}]
    assert split(Decimal("100000.01"), plan) == [Decimal("50000.01"), Decimal("50000.00")]
    plan = [{"percent": "90"}, {"percent": "10"}]
    assert split(Decimal("33333.33"), plan) == [Decimal("30000.00"), Decimal("3333.33")]
    assert sum(split(Decimal("0.03"), [{"percent": "33.33"}] * 2 + [{"percent": "33.34"}])) == Decimal("0.03")


def test_the_state_table_refuses_paying_before_authorizing_and_audits_each_move():
    agreement, officer = agreement_in_force(years=1)
    first = installments(2026)[0]
    with pytest.raises(InstallmentTransitionRefused):
        operations.apply_event(first, InstallmentEvent.PAY, actor=officer)
    operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    operations.apply_event(
        first, InstallmentEvent.PAY, actor=officer, paid_on=date(2026, 5, 1), payment_reference="PAI-1"
    )
    db.session.commit()
    with pytest.raises(InstallmentTransitionRefused):
        operations.apply_event(first, InstallmentEvent.CANCEL, actor=officer)
    actions = db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.action.like("installment.%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["installment.authorize", "installment.pay"]
    totals = agreement_totals(agreement.id)[0]
    assert (totals.committed, totals.paid, totals.remaining) == (
        Decimal("175000.00"),
        Decimal("87500.00"),
        Decimal("87500.00"),
    )


def test_an_installment_cannot_be_authorized_or_paid_on_an_agreement_nobody_signed(client, sign_in):
    """Issue 12, item 3: no money goes out before the organization signs and the ministry
    countersigns; holding stays possible. The page offers no payment button and refuses a forged one."""
    from grants.agreements import operations as agreements
    from grants.payments.workflow import AgreementNotInForce

    organization = OrganizationFactory()
    agreement, officer = approved(organization=organization, years=1)
    first = installments(2026)[0]
    with pytest.raises(AgreementNotInForce) as refused:
        operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    assert "n'est pas en vigueur" in refused.value.message
    db.session.rollback()

    # Signed by the organization but not yet countersigned: still not in force.
    signer = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    agreements.accept(
        agreement, agreement.current, actor=signer, signatory_name="A", signatory_title="B", ip_address=None
    )
    db.session.commit()
    sign_in(officer)
    page = client.get(f"/conventions/{agreement.id}").get_data(as_text=True)
    assert 'value="authorize"' not in page and 'value="hold"' in page
    token = csrf_token(client, f"/conventions/{agreement.id}")
    response = client.post(
        f"/versements/{first.id}/action",
        data={"csrf_token": token, "event": "authorize", "version": str(first.version)},
    )
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "n&#39;est pas en vigueur" in flashed or "n'est pas en vigueur" in flashed
    db.session.expire_all()
    assert db.session.get(Installment, first.id).status == InstallmentStatus.SCHEDULED
    assert not db.session.query(AuditEntry).filter_by(action="installment.authorize").count()

    # Countersigned: in force, the installment is authorized and paid.
    agreements.countersign(db.session.get(type(agreement), agreement.id), agreement.current, actor=officer)
    db.session.commit()
    first = db.session.get(Installment, first.id)
    operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    operations.apply_event(first, InstallmentEvent.PAY, actor=officer, paid_on=date(2026, 5, 1))
    db.session.commit()
    assert db.session.get(Installment, first.id).status == InstallmentStatus.PAID


def test_an_amendment_waiting_for_signatures_leaves_the_earlier_version_in_force():
    from grants.agreements import operations as agreements

    agreement, officer = agreement_in_force(years=2)
    agreements.amend(
        agreement,
        amounts={FiscalYear(2026): Decimal("175000.00"), FiscalYear(2027): Decimal("170000.00")},
        end_date=agreement.end_date,
        conditions="",
        reason="Ajustement",
        actor=officer,
    )
    db.session.commit()
    assert agreement.current.status == "sent" and agreement.in_force
    first = installments(2026)[0]
    operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    db.session.commit()
    assert first.status == InstallmentStatus.AUTHORIZED


def test_a_payment_made_at_21_h_in_quebec_is_dated_that_day(client, sign_in):
    """Issue 12, item 6: 21 h in Montreal on 14 November is 02 h on the 15th in UTC; the payment is
    dated the 14th, by the operation and by the page (no date typed)."""
    from datetime import UTC, datetime

    from grants.core import clock

    agreement, officer = agreement_in_force(years=1)
    first, second = installments(2026)
    evening = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)
    with clock.frozen(evening):
        operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
        operations.apply_event(first, InstallmentEvent.PAY, actor=officer)
        db.session.commit()
        assert first.paid_on == date(2026, 11, 14)
        # The second half waits for the mid-year report: its acceptance authorizes it.
        accepted_report(agreement, officer)
        db.session.refresh(second)
        assert second.status == InstallmentStatus.AUTHORIZED
        sign_in(officer)
        token = csrf_token(client, f"/conventions/{agreement.id}")
        response = client.post(
            f"/versements/{second.id}/action",
            data={"csrf_token": token, "event": "pay", "version": str(second.version), "paid_on": ""},
        )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Installment, second.id).paid_on == date(2026, 11, 14)


def test_hold_and_release_hooks_for_accountability_are_audited_and_keep_officer_holds():
    agreement, officer = approved(years=1)
    first, second = installments(2026)
    operations.apply_event(second, InstallmentEvent.HOLD, actor=officer, reason="Pièce manquante")
    held = operations.hold_installments(
        agreement, FiscalYear(2026), reason="Rapport en retard", source=HoldSource.REPORT_LATE
    )
    assert [i.id for i in held] == [first.id]
    totals = agreement_totals(agreement.id)[0]
    assert totals.held == Decimal("175000.00")
    released = operations.release_holds(agreement, FiscalYear(2026), source=HoldSource.REPORT_LATE)
    db.session.commit()
    assert [i.id for i in released] == [first.id]
    db.session.expire_all()
    assert [i.status for i in installments(2026)] == [InstallmentStatus.SCHEDULED, InstallmentStatus.HELD]
    hold = db.session.scalars(
        db.select(AuditEntry).filter_by(action="installment.hold").order_by(AuditEntry.id)
    ).all()
    assert [h.changes["reason"] for h in hold] == ["Pièce manquante", "Rapport en retard"]
    assert db.session.query(AuditEntry).filter_by(action="installment.release").count() == 1


def test_officer_holds_through_the_page_and_needs_a_reason(client, sign_in):
    agreement, officer = approved(years=1)
    first = installments(2026)[0]
    sign_in(officer)
    token = csrf_token(client, f"/conventions/{agreement.id}")
    url = f"/versements/{first.id}/action"
    client.post(url, data={"csrf_token": token, "event": "hold", "version": str(first.version), "reason": ""})
    db.session.expire_all()
    assert db.session.get(Installment, first.id).status == InstallmentStatus.SCHEDULED
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "event": "hold",
            "version": str(first.version),
            "reason": "Attente des états financiers",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Installment, first.id)
    assert saved.status == InstallmentStatus.HELD and saved.hold_reason == "Attente des états financiers"


def test_a_schedule_that_does_not_add_up_is_refused_with_the_totals(client, sign_in):
    agreement, officer = approved(years=1)
    first, second = installments(2026)
    sign_in(officer)
    url = f"/versements/conventions/{agreement.id}/2026-2027"
    token = csrf_token(client, url)
    rows = {
        "csrf_token": token,
        "rows-0-installment_id": str(first.id),
        "rows-0-amount": "100 000",
        "rows-0-trigger": "signature",
        "rows-0-planned_date": "2026-04-01",
        "rows-1-installment_id": str(second.id),
        "rows-1-amount": "70 000",
        "rows-1-trigger": "midyear_report",
        "rows-1-planned_date": "2026-11-30",
        "rows-2-installment_id": "",
        "rows-2-amount": "",
        "rows-2-trigger": "date",
        "rows-2-planned_date": "",
    }
    response = client.post(url, data=rows)
    assert response.status_code == 422
    page = normalize_spaces(response.get_data(as_text=True))
    assert "170 000,00 $" in page and "175 000,00 $" in page
    assert 'value="100 000"' in page  # what was typed is kept
    response = client.post(url, data=rows | {"rows-2-amount": "5 000", "rows-2-planned_date": "2027-03-01"})
    assert response.status_code == 302
    db.session.expire_all()
    amounts = [i.amount for i in installments(2026) if i.status != InstallmentStatus.CANCELLED]
    assert amounts == [Decimal("100000.00"), Decimal("70000.00"), Decimal("5000.00")]
    assert db.session.query(AuditEntry).filter_by(action="installments.edited").count() == 1


def test_program_totals_page_and_payment_csv(client, sign_in):
    set_envelope(program("TNCES"), FiscalYear(2026), Decimal("500000"), actor=None)
    approved(years=2)
    approved(years=1)
    totals = {t.fiscal_year: t for t in program_totals(program("TNCES").id)}
    assert totals[FiscalYear(2026)].committed == Decimal("350000.00")
    assert totals[FiscalYear(2026)].available == Decimal("150000.00")
    assert totals[FiscalYear(2027)].available is None

    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    page = normalize_spaces(client.get("/versements/programmes/TNCES").get_data(as_text=True))
    assert "350 000,00 $" in page and "150 000,00 $" in page and "non fixée" in page
    response = client.get("/versements/?format=csv&fiscal_year=2026-2027")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Convention" and len(rows) == 1 + 4
    assert sum(
        Decimal(r[8].replace(",", ".").replace("\u00a0", "").replace(" ", "")) for r in rows[1:]
    ) == Decimal("350000.00")


def test_organizations_see_only_their_payments_and_officers_of_other_programs_get_404(app, client, sign_in):
    organization = OrganizationFactory()
    mine, _ = approved(organization=organization, years=1)
    theirs, _ = approved(years=1)
    sign_in(member(MemberRole.READ_ONLY, organization=organization))
    page = client.get("/versements/").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    other = sign_in(staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT"), target=app.test_client())
    assert other.get(f"/versements/conventions/{mine.id}/2026-2027").status_code == 404
    assert other.get(f"/conventions/{mine.id}").status_code == 404
    first = installments(2026)[0]
    token = csrf_token(other, "/")
    assert (
        other.post(f"/versements/{first.id}/action", data={"csrf_token": token, "event": "hold"}).status_code
        == 404
    )


def test_a_schedule_line_with_a_bad_date_says_which_line_and_keeps_the_grid(client, sign_in):
    agreement, officer = approved(years=1)
    first, second = installments(2026)
    sign_in(officer)
    url = f"/versements/conventions/{agreement.id}/2026-2027"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{first.id}"' in page and 'name="rows-3-amount"' in page  # two lines, two blank ones
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "rows-0-installment_id": str(first.id),
            "rows-0-amount": "87 500",
            "rows-0-trigger": "signature",
            "rows-0-planned_date": "2026-04-01",
            "rows-1-installment_id": str(second.id),
            "rows-1-amount": "87 500",
            "rows-1-trigger": "midyear_report",
            "rows-1-planned_date": "31/11/2026",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ligne 2 : N&#39;est pas une date valide." in page and 'value="31/11/2026"' in page
    assert not db.session.query(AuditEntry).filter_by(action="installments.edited").count()
