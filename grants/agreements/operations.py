"""Every change to agreements: creation on approval (amounts, schedule, PDF), acceptance by the
organization's signatory, countersignature by the ministry, amendments as new versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from grants.agreements.models import Agreement, AgreementStatus, AgreementVersion, AgreementYear, VersionKind
from grants.agreements.obligations import reports_of, statement_type
from grants.agreements.pdf import render_version_pdf
from grants.agreements.workflow import AgreementEvent, agreement_in_force, target
from grants.core import clock
from grants.core.audit import record
from grants.core.db import db, identity_of, to_money, utcnow
from grants.core.formatting import money
from grants.files.sniffing import AcceptedFile
from grants.files.storage import store
from grants.fiscal import FiscalYear
from grants.notifications.operations import notify_users, officers_of_program, recipients_of_organization
from grants.payments import operations as payments
from grants.payments.envelopes import check_commitment
from grants.programs.rules import AmountLimits, amount_problem


class ConcurrentChange(RuntimeError):
    """The agreement changed since the page was opened."""


class AmendmentInvalid(ValueError):
    """The amendment breaks an amount rule; `errors` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid amendment")
        self.errors = errors


def create_agreement(funding_request: Any, *, actor: Any) -> Agreement:
    """The agreement of an approved request: its years, schedule, version 1 and PDF, sent to sign."""
    approved = [y for y in funding_request.years if y.approved_amount and y.approved_amount > 0]
    agreement = Agreement(
        number=f"CAF-{funding_request.reference}",
        request_id=funding_request.id,
        organization_id=funding_request.organization_id,
        program_id=funding_request.program_id,
        start_date=funding_request.start_date,
        end_date=funding_request.end_date,
        conditions=funding_request.decision_conditions or "",
        indexed=funding_request.program.indexed,
        status=AgreementStatus.SENT,
    )
    agreement.years = [
        AgreementYear(fiscal_year=y.fiscal_year, approved_amount=y.approved_amount, amount=y.approved_amount)
        for y in approved
    ]
    db.session.add(agreement)
    db.session.flush()
    payments.create_schedule(agreement, actor=actor)
    version = _new_version(agreement, VersionKind.ORIGINAL, reason="", actor=actor)
    record(
        "agreement.created",
        agreement,
        actor=actor,
        changes={
            "number": agreement.number,
            "request": funding_request.reference,
            "amounts": _amounts(agreement),
        },
    )
    _notify_organization(agreement, "agreement_sent", version=version)
    return agreement


def _amounts(agreement: Agreement) -> dict[str, Decimal]:
    return {str(y.fiscal_year): y.amount for y in agreement.years}


def terms_of(agreement: Agreement) -> dict[str, Any]:
    """What the document says, frozen in the version: it never changes once signed."""
    organization, program = agreement.organization, agreement.program
    schedule = [
        {
            "fiscal_year": str(i.fiscal_year),
            "amount": str(i.amount),
            "trigger": i.trigger,
            "planned_date": i.planned_date.isoformat() if i.planned_date else None,
        }
        for i in payments.installments_of(agreement.id)
        if i.status != "cancelled"
    ]
    years = [{"fiscal_year": str(y.fiscal_year), "amount": str(y.amount)} for y in agreement.years]
    largest = max((y.amount for y in agreement.years), default=Decimal(0))
    return {
        "organization": {
            "name": organization.legal_name,
            "neq": organization.neq,
            "address": ", ".join(
                p for p in (organization.address, organization.city, organization.postal_code) if p
            ),
        },
        "ministry": {"code": program.ministry.code, "name": program.ministry.name_fr},
        "program": {"code": program.code, "name": program.name_fr},
        "purpose": {"title": agreement.request.title, "summary": agreement.request.summary},
        "period": {"start": agreement.start_date.isoformat(), "end": agreement.end_date.isoformat()},
        "years": years,
        "total": str(sum((y.amount for y in agreement.years), Decimal(0))),
        "schedule": schedule,
        "conditions": agreement.conditions,
        "indexed": agreement.indexed,
        "reports": [report.as_terms() for report in reports_of(agreement)],
        "statement_type": statement_type(largest).value,
    }


def _new_version(agreement: Agreement, kind: VersionKind, *, reason: str, actor: Any) -> AgreementVersion:
    number = len(agreement.versions) + 1
    version = AgreementVersion(
        agreement=agreement,
        number=number,
        kind=kind,
        reason=reason,
        status=AgreementStatus.SENT,
        terms=terms_of(agreement),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    render_version_pdf(version)
    record(
        "agreement.version_sent",
        agreement,
        actor=actor,
        changes={"version": number, "kind": kind, "reason": reason},
    )
    return version


def _move(
    agreement: Agreement, version: AgreementVersion, event: AgreementEvent, *, actor: Any, **details: Any
) -> None:
    before = AgreementStatus(version.status)
    version.status = target(before, event)
    if version.number == agreement.current.number:
        agreement.status = (
            version.status if version.status != AgreementStatus.SUPERSEDED else agreement.status
        )
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(identity_of(agreement)) from error
    record(
        f"agreement.{event.value}",
        agreement,
        actor=actor,
        changes={"version": version.number, "status": [before.value, version.status], **details},
    )


def accept(
    agreement: Agreement,
    version: AgreementVersion,
    *,
    actor: Any,
    signatory_name: str,
    signatory_title: str,
    ip_address: str | None,
    signed_file: AcceptedFile | None = None,
    expected_version: int | None = None,
) -> None:
    """The organization's authorized signatory accepts: in the app, or by uploading the signed PDF."""
    if expected_version is not None and expected_version != agreement.version:
        raise ConcurrentChange(agreement.id)
    details: dict[str, Any] = {
        "signatory": signatory_name.strip(),
        "title": signatory_title.strip(),
        "ip": ip_address,
    }
    if signed_file is not None:
        stored = store(
            signed_file.data,
            original_name=signed_file.filename,
            media_type=signed_file.media_type,
            organization_id=agreement.organization_id,
            uploaded_by=actor,
        )
        version.signed_file_id = stored.id
        details["signed_file"] = signed_file.filename
    _move(agreement, version, AgreementEvent.ACCEPT, actor=actor, **details)
    version.signatory_name, version.signatory_title = signatory_name.strip(), signatory_title.strip()
    version.accepted_at, version.accepted_ip = utcnow(), ip_address
    version.accepted_by_id = getattr(actor, "id", None)
    notify_users(
        officers_of_program(agreement.program_id),
        "agreement_accepted",
        organization_id=agreement.organization_id,
        agreement=agreement,
        version=version,
    )


def countersign(
    agreement: Agreement, version: AgreementVersion, *, actor: Any, expected_version: int | None = None
) -> None:
    """The ministry signs: the version comes into force; an earlier version in force is superseded."""
    if expected_version is not None and expected_version != agreement.version:
        raise ConcurrentChange(agreement.id)
    _move(agreement, version, AgreementEvent.COUNTERSIGN, actor=actor)
    version.countersigned_at = utcnow()
    version.countersigned_by_id = getattr(actor, "id", None)
    if agreement.signed_at is None:
        agreement.signed_at = version.countersigned_at
        _date_signature_installments(agreement, clock.today(at=version.countersigned_at))
    for older in agreement.versions:
        if older.number < version.number and older.status == AgreementStatus.COUNTERSIGNED:
            _move(agreement, older, AgreementEvent.SUPERSEDE, actor=actor, by_version=version.number)
    agreement.status = AgreementStatus.COUNTERSIGNED
    _notify_organization(agreement, "agreement_countersigned", version=version)
    agreement_in_force.send(agreement, version=version, actor=actor)


def _date_signature_installments(agreement: Agreement, signed_on: date) -> None:
    from grants.payments.models import InstallmentStatus, InstallmentTrigger

    for installment in payments.installments_of(agreement.id):
        if (
            installment.trigger == InstallmentTrigger.SIGNATURE
            and installment.status == InstallmentStatus.SCHEDULED
        ):
            installment.planned_date = max(signed_on, installment.fiscal_year.start)


def amend(
    agreement: Agreement,
    *,
    amounts: dict[FiscalYear, Decimal],
    end_date: date,
    conditions: str,
    reason: str,
    actor: Any,
    override_reason: str = "",
    expected_version: int | None = None,
) -> AgreementVersion:
    """An amendment (avenant): new amounts per year, end date or conditions, as a new version to sign.

    The amounts follow the rules of a decision (programs.rules), and a year may not fall below what
    is already paid or authorized. Increases are checked against the envelope (the agreement's own
    amounts excluded). Unpaid installments follow the new amounts; paid ones never change.
    """
    if expected_version is not None and expected_version != agreement.version:
        raise ConcurrentChange(agreement.id)
    errors = amendment_problems(agreement, amounts, end_date)
    if errors:
        raise AmendmentInvalid(errors)
    amounts = {year: to_money(value) for year, value in amounts.items()}
    check_commitment(
        agreement.program_id,
        amounts,
        override_reason=override_reason,
        actor=actor,
        exclude_agreement_id=agreement.id,
        object_for_audit=agreement,
    )
    before = {
        "amounts": _amounts(agreement),
        "end_date": agreement.end_date,
        "conditions": agreement.conditions,
    }
    by_year = {y.fiscal_year: y for y in agreement.years}
    for year, value in amounts.items():
        if year in by_year:
            by_year[year].amount = value
        else:
            agreement.years.append(AgreementYear(fiscal_year=year, approved_amount=value, amount=value))
    agreement.end_date, agreement.conditions = end_date, conditions.strip()
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(identity_of(agreement)) from error
    for year in amounts:
        payments.rebalance_year(agreement, year, actor=actor, reason="amendment")
    db.session.expire(agreement, ["versions", "years"])
    version = _new_version(agreement, VersionKind.AMENDMENT, reason=reason.strip(), actor=actor)
    agreement.status = AgreementStatus.SENT
    record(
        "agreement.amended",
        agreement,
        actor=actor,
        changes={
            "version": version.number,
            "reason": reason.strip(),
            "before": before,
            "after": {
                "amounts": _amounts(agreement),
                "end_date": end_date,
                "conditions": agreement.conditions,
            },
        },
    )
    _notify_organization(agreement, "agreement_sent", version=version)
    return version


def amendment_problems(
    agreement: Agreement, amounts: dict[FiscalYear, Decimal], end_date: date
) -> dict[str, str]:
    """Why an amendment's amounts cannot stand, by form field (`amount-<year>`), empty when they can.

    The decision's rules (not negative, within NUMERIC(14, 2) and the annual maximum prorated to
    the new period), except that a year may keep an amount above the maximum it already has (an
    indexed year); and a year never drops below what is already paid or authorized."""
    errors: dict[str, str] = {}
    limits = AmountLimits.of_request(agreement.request, end=end_date)
    committed_now = _paid_or_authorized(agreement)
    for year, amount in sorted(amounts.items()):
        current = agreement.year(year)
        name = f"amount-{year.start_year}"
        problem = amount_problem(
            amount, year, limits, zero_allowed=True, kept=current.amount if current else None
        )
        if problem is None and amount < committed_now.get(year, Decimal(0)):
            problem = str(
                _l(
                    "%(year)s : %(paid)s sont déjà versés ou autorisés ; le montant ne peut pas être "
                    "plus bas.",
                    year=str(year),
                    paid=money(committed_now[year]),
                )
            )
        if problem:
            errors[name] = problem
    if not errors and not any(amount > 0 for amount in amounts.values()):
        errors["amounts"] = str(_l("Un avenant garde un montant pour au moins un exercice."))
    return errors


def _paid_or_authorized(agreement: Agreement) -> dict[FiscalYear, Decimal]:
    from grants.payments.models import InstallmentStatus

    totals: dict[FiscalYear, Decimal] = {}
    for installment in payments.installments_of(agreement.id):
        if installment.status in (InstallmentStatus.PAID, InstallmentStatus.AUTHORIZED):
            year = installment.fiscal_year
            totals[year] = totals.get(year, Decimal(0)) + installment.amount
    return totals


def _notify_organization(agreement: Agreement, template: str, **context: Any) -> None:
    notify_users(
        recipients_of_organization(agreement.organization_id),
        template,
        organization_id=agreement.organization_id,
        agreement=agreement,
        **context,
    )
