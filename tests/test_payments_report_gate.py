"""An installment released by a report waits for that report (CONVENTIONS.md, "Payments"): the
50 % of a mission grant released by the mid-year report cannot be authorized (nor paid) before the
report exists, while it is submitted but not yet accepted, and can once it is accepted. The refusal
names the report and its state, in French and in English; the agreement page says why the
« Autoriser » button is missing, and a forged click is refused without a 500. Installments due at
signature or at the start of a year are not concerned."""

from __future__ import annotations

from html import unescape

import pytest
from flask_babel import force_locale

from grants.accountability import operations as reports
from grants.accountability.models import Report
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole
from grants.fiscal import FiscalYear
from grants.payments import operations
from grants.payments.models import HoldSource, Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.workflow import InstallmentEvent, ReportNotAccepted
from tests.factories import accepted_report, agreement_in_force, complete_report, member, report_of
from tests.helpers import csrf_token, normalize_spaces


def _installments(agreement, year: int = 2026) -> list[Installment]:
    return list(
        db.session.scalars(
            db.select(Installment)
            .filter_by(agreement_id=agreement.id, fiscal_year=FiscalYear(year))
            .order_by(Installment.sequence)
        )
    )


def _submit_midyear(agreement) -> Report:
    author = member(MemberRole.CONTRIBUTOR, organization=agreement.organization)
    report = complete_report(report_of(agreement, "midyear", 2026), author)
    reports.submit(report.id, actor=author)
    db.session.commit()
    db.session.refresh(report)
    return report


def test_the_installment_of_the_midyear_report_is_refused_before_the_report_exists():
    agreement, officer = agreement_in_force(years=2)
    # An agreement whose reports are not scheduled yet (none in the accountability schedule).
    db.session.execute(db.delete(Report).where(Report.agreement_id == agreement.id))
    db.session.commit()
    first, second = _installments(agreement)
    assert first.trigger == InstallmentTrigger.SIGNATURE
    assert second.trigger == InstallmentTrigger.MIDYEAR_REPORT
    with pytest.raises(ReportNotAccepted) as refused:
        operations.apply_event(second, InstallmentEvent.AUTHORIZE, actor=officer)
    assert refused.value.message == (
        "Impossible d'autoriser le versement : le rapport d'étape 2026-2027 n'est pas encore accepté "
        "(état : à remettre)."
    )
    with force_locale("en"):
        assert refused.value.message == (
            "Cannot authorize the installment: the progress report 2026-2027 is not accepted yet "
            "(state: to be submitted)."
        )
    db.session.rollback()
    assert db.session.get(Installment, second.id).status == InstallmentStatus.SCHEDULED
    # The installment due at signature is not concerned.
    operations.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    operations.apply_event(first, InstallmentEvent.PAY, actor=officer)
    db.session.commit()
    assert first.status == InstallmentStatus.PAID


def test_refused_while_to_do_and_while_submitted_allowed_once_accepted_in_french_and_english():
    agreement, officer = agreement_in_force(years=2)
    _first, second = _installments(agreement)
    with pytest.raises(ReportNotAccepted) as refused:
        operations.apply_event(second, InstallmentEvent.AUTHORIZE, actor=officer)
    assert "le rapport d'étape 2026-2027 n'est pas encore accepté (état : à faire)." in refused.value.message
    db.session.rollback()

    # An officer holds it meanwhile; the hold and its release stay possible.
    operations.apply_event(second, InstallmentEvent.HOLD, actor=officer, reason="Vérification")
    db.session.commit()

    report = _submit_midyear(agreement)
    operations.apply_event(second, InstallmentEvent.RELEASE, actor=officer)
    db.session.commit()
    with pytest.raises(ReportNotAccepted) as refused:
        operations.apply_event(second, InstallmentEvent.AUTHORIZE, actor=officer)
    assert refused.value.message == (
        "Impossible d'autoriser le versement : le rapport d'étape 2026-2027 n'est pas encore accepté "
        "(état : déposé)."
    )
    with force_locale("en"):
        assert refused.value.message == (
            "Cannot authorize the installment: the progress report 2026-2027 is not accepted yet "
            "(state: submitted)."
        )
    db.session.rollback()
    assert not db.session.query(AuditEntry).filter_by(action="installment.authorize").count()

    # The officer holds it again: the acceptance leaves an officer's hold alone.
    second = db.session.get(Installment, second.id)
    operations.apply_event(second, InstallmentEvent.HOLD, actor=officer, reason="Pièce manquante")
    db.session.commit()
    assert reports.accept(report, actor=officer) == []
    db.session.commit()
    second = db.session.get(Installment, second.id)
    assert second.status == InstallmentStatus.HELD
    operations.apply_event(second, InstallmentEvent.RELEASE, actor=officer)
    operations.apply_event(second, InstallmentEvent.AUTHORIZE, actor=officer)
    operations.apply_event(second, InstallmentEvent.PAY, actor=officer, payment_reference="PAI-2")
    db.session.commit()
    assert second.status == InstallmentStatus.PAID


def test_accepting_the_report_authorizes_what_it_releases_and_late_holds_still_come_and_go():
    agreement, officer = agreement_in_force(years=2)
    _first, second = _installments(agreement)
    held = operations.hold_installments(
        agreement, FiscalYear(2026), reason="Rapport en retard", source=HoldSource.REPORT_LATE
    )
    assert second in held
    released = operations.release_holds(agreement, FiscalYear(2026), source=HoldSource.REPORT_LATE)
    assert second in released and second.status == InstallmentStatus.SCHEDULED
    db.session.commit()
    accepted_report(agreement, officer)
    assert db.session.get(Installment, second.id).status == InstallmentStatus.AUTHORIZED
    # The next year's installment at the start of the year is not concerned; its mid-year one waits.
    start, midyear = _installments(agreement, 2027)
    assert start.trigger == InstallmentTrigger.YEAR_START
    operations.apply_event(start, InstallmentEvent.AUTHORIZE, actor=officer)
    with pytest.raises(ReportNotAccepted) as refused:
        operations.apply_event(midyear, InstallmentEvent.AUTHORIZE, actor=officer)
    assert "le rapport d'étape 2027-2028" in refused.value.message


@pytest.mark.parametrize(
    ("language", "why"),
    [
        (
            "fr",
            "Impossible d'autoriser le versement : le rapport d'étape 2026-2027 n'est pas encore accepté "
            "(état : déposé).",
        ),
        (
            "en",
            "Cannot authorize the installment: the progress report 2026-2027 is not accepted yet "
            "(state: submitted).",
        ),
    ],
)
def test_the_page_says_why_authorizing_waits_and_a_forged_click_is_refused(client, sign_in, language, why):
    agreement, officer = agreement_in_force(years=1)
    first, second = _installments(agreement)
    _submit_midyear(agreement)
    sign_in(officer)
    page_url = f"/conventions/{agreement.id}?lang={language}"
    response = client.get(page_url)
    assert response.status_code == 200
    page = normalize_spaces(unescape(response.get_data(as_text=True)))
    assert why in page
    forms = page.split(f'/versements/{second.id}/action"')
    assert len(forms) == 2  # the hold form only: no authorize button for it
    assert 'value="authorize"' not in forms[1].split("</td>")[0]
    assert 'value="authorize"' in page.split(f'/versements/{first.id}/action"')[1].split("</td>")[0]

    token = csrf_token(client, page_url)
    response = client.post(
        f"/versements/{second.id}/action",
        data={"csrf_token": token, "event": "authorize", "version": str(second.version)},
    )
    assert response.status_code == 302
    shown = normalize_spaces(unescape(client.get(response.headers["Location"]).get_data(as_text=True)))
    assert why in shown
    db.session.expire_all()
    assert db.session.get(Installment, second.id).status == InstallmentStatus.SCHEDULED


def test_an_installment_authorized_before_the_rule_is_not_paid_until_its_report_is_accepted():
    """Data from before the rule: an installment released by the mid-year report already authorized
    while the report is still to do. Paying it waits for the report, in both languages."""
    from grants.core.workflow import writing_status

    agreement, officer = agreement_in_force(years=1)
    _first, second = _installments(agreement)
    with writing_status(second):
        second.status = InstallmentStatus.AUTHORIZED
    db.session.commit()
    with pytest.raises(ReportNotAccepted) as refused:
        operations.apply_event(second, InstallmentEvent.PAY, actor=officer)
    assert refused.value.message == (
        "Impossible d'inscrire le versement comme payé : le rapport d'étape 2026-2027 n'est pas encore "
        "accepté (état : à faire)."
    )
    with force_locale("en"):
        assert refused.value.message == (
            "Cannot record the installment as paid: the progress report 2026-2027 is not accepted yet "
            "(state: to do)."
        )
    db.session.rollback()
    accepted_report(agreement, officer)
    second = db.session.get(Installment, second.id)
    operations.apply_event(second, InstallmentEvent.PAY, actor=officer, payment_reference="PAI-2")
    db.session.commit()
    assert second.status == InstallmentStatus.PAID
