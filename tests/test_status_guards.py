"""A status column changes only through its workflow: a direct assignment of a saved object's status
raises at once (before anything reaches the database), while the workflows' own moves, a new
object's first state and the bulk paths that go through the workflow keep working."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grants.agreements.models import Agreement, AgreementStatus, AgreementVersion
from grants.core.db import db
from grants.core.workflow import StatusWriteRefused
from grants.fiscal import FiscalYear
from grants.payments.models import Installment, InstallmentStatus
from tests.factories import agreement_in_force


def _first_installment(agreement: Agreement) -> Installment:
    return db.session.scalars(
        db.select(Installment).where(Installment.agreement_id == agreement.id).order_by(Installment.id)
    ).first()


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (lambda agreement: _first_installment(agreement), InstallmentStatus.CANCELLED),
        (lambda agreement: agreement.current, AgreementStatus.SENT),
        (lambda agreement: agreement, AgreementStatus.SUPERSEDED),
    ],
    ids=["Installment.status", "AgreementVersion.status", "Agreement.status"],
)
def test_a_direct_status_write_raises(target, value):
    agreement, _officer = agreement_in_force(years=1)
    obj = target(agreement)
    before = obj.status
    with pytest.raises(StatusWriteRefused, match="only through its workflow"):
        obj.status = value
    assert obj.status == before
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(obj), obj.id).status == before


def test_a_new_object_starts_in_the_state_it_is_created_with_and_moves_go_through():
    agreement, _officer = agreement_in_force(years=1)
    assert agreement.status == AgreementStatus.COUNTERSIGNED  # written by the workflow's moves
    version = AgreementVersion(agreement=agreement, number=9, status=AgreementStatus.ACCEPTED)
    db.session.add(version)
    db.session.flush()
    assert version.status == AgreementStatus.ACCEPTED
    db.session.rollback()


def test_a_rebalancing_that_cannot_absorb_a_cut_cancels_through_the_workflow():
    """`rebalance_year` (the path indexation and amendments take) cancels the unpaid installments a
    cut leaves no room for through `INSTALLMENTS.move`, and its audit entry names them."""
    from grants.core.audit import AuditEntry
    from grants.payments import operations as payments
    from grants.payments.workflow import InstallmentEvent

    agreement, officer = agreement_in_force(years=1)
    first, second = payments.installments_of(agreement.id, FiscalYear(2026))
    payments.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    agreement.year(FiscalYear(2026)).amount = Decimal("80000.00")  # below what is authorized
    payments.rebalance_year(agreement, FiscalYear(2026), actor=officer, reason="essai")
    db.session.commit()
    assert (first.status, second.status) == (InstallmentStatus.AUTHORIZED, InstallmentStatus.CANCELLED)
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="installments.rebalanced")).one()
    assert [c["status"] for c in entry.changes["cancelled"]] == ["cancelled"]
