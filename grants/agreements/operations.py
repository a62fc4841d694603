"""Every change to agreements: creation on approval (amounts, PDF), acceptance by the organization's
signatory, countersignature by the ministry, amendments as new versions, indexed amounts.

Agreements import nothing from payments: what payments does at each step (the schedule, dating the
installments due at signature, rebalancing after an amendment) it does on the signals of
`grants.agreements.signals`, and what the terms say of the schedule it answers when asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, text

from grants.agreements import signals
from grants.agreements.envelopes import check_commitment
from grants.agreements.models import Agreement, AgreementVersion, AgreementYear, VersionKind
from grants.agreements.obligations import agreement_statement, reports_of
from grants.agreements.pdf import render_version_pdf
from grants.agreements.workflow import VERSIONS, AgreementEvent, mirror_current_status, move_version
from grants.core import clock
from grants.core.audit import record, record_many
from grants.core.concurrency import optimistic
from grants.core.db import db, utcnow
from grants.core.money import round_cent
from grants.files.documents import store_upload
from grants.files.sniffing import AcceptedFile
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.operations import notify
from grants.programs.rules import AmountLimits, amount_problem


class AmendmentInvalid(ValueError):
    """The amendment breaks an amount rule; `errors` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid amendment")
        self.errors = errors


def amount_field(year: FiscalYear) -> str:
    """The name an amount rule's message is filed under for `year` (`amount-2026`)."""
    return f"amount-{year.start_year}"


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
    )
    agreement.years = [
        AgreementYear(fiscal_year=y.fiscal_year, approved_amount=y.approved_amount, amount=y.approved_amount)
        for y in approved
    ]
    db.session.add(agreement)
    db.session.flush()
    signals.agreement_created.send(agreement, actor=actor)
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
    notify(events.AGREEMENT_SENT, agreement=agreement, version=version)
    return agreement


def _amounts(agreement: Agreement) -> dict[str, Decimal]:
    return {str(y.fiscal_year): y.amount for y in agreement.years}


def terms_of(agreement: Agreement) -> dict[str, Any]:
    """What the document says, frozen in the version: it never changes once signed. The schedule
    is payments' answer to `signals.agreement_terms`."""
    organization, program = agreement.organization, agreement.program
    years = [{"fiscal_year": str(y.fiscal_year), "amount": str(y.amount)} for y in agreement.years]
    terms: dict[str, Any] = {
        "organization": {
            "name": organization.legal_name,
            "neq": organization.neq,
            "address": organization.postal_address,
        },
        "ministry": {"code": program.ministry.code, "name": program.ministry.name_fr},
        "program": {"code": program.code, "name": program.name_fr},
        "purpose": {"title": agreement.request.title, "summary": agreement.request.summary},
        "period": {"start": agreement.start_date.isoformat(), "end": agreement.end_date.isoformat()},
        "years": years,
        "total": str(agreement.total),
        "schedule": [],
        "conditions": agreement.conditions,
        "indexed": agreement.indexed,
        "reports": [report.as_terms() for report in reports_of(agreement)],
        "statement_type": agreement_statement(agreement).type.value,
    }
    for addition in signals.collect(signals.agreement_terms, agreement):
        terms.update(addition)
    return terms


def _new_version(agreement: Agreement, kind: VersionKind, *, reason: str, actor: Any) -> AgreementVersion:
    number = len(agreement.versions) + 1
    version = AgreementVersion(
        agreement=agreement,
        number=number,
        kind=kind,
        reason=reason,
        terms=terms_of(agreement),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    mirror_current_status(agreement)
    render_version_pdf(version)
    record(
        "agreement.version_sent",
        agreement,
        actor=actor,
        changes={"version": number, "kind": kind, "reason": reason},
    )
    return version


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
    with optimistic(agreement, expected_version):
        details: dict[str, Any] = {
            "signatory": signatory_name.strip(),
            "title": signatory_title.strip(),
            "ip": ip_address,
        }
        if signed_file is not None:
            stored = store_upload(signed_file, organization_id=agreement.organization_id, actor=actor)
            version.signed_file_id = stored.id
            details["signed_file"] = signed_file.filename
        move_version(agreement, version, AgreementEvent.ACCEPT, actor=actor, **details)
        version.signatory_name, version.signatory_title = signatory_name.strip(), signatory_title.strip()
        version.accepted_at, version.accepted_ip = utcnow(), ip_address
        version.accepted_by_id = getattr(actor, "id", None)
    notify(events.AGREEMENT_ACCEPTED, agreement=agreement, version=version)


def countersign(
    agreement: Agreement, version: AgreementVersion, *, actor: Any, expected_version: int | None = None
) -> None:
    """The ministry signs: the version comes into force; an earlier version in force is superseded.
    Sends `agreement_countersigned`, and `agreement_in_force` the first time."""
    with optimistic(agreement, expected_version):
        move_version(agreement, version, AgreementEvent.COUNTERSIGN, actor=actor)
        version.countersigned_at = utcnow()
        version.countersigned_by_id = getattr(actor, "id", None)
        comes_into_force = agreement.signed_at is None
        if comes_into_force:
            agreement.signed_at = version.countersigned_at
        for older in agreement.versions:
            if older.number < version.number and VERSIONS.can(older, AgreementEvent.SUPERSEDE):
                move_version(
                    agreement, older, AgreementEvent.SUPERSEDE, actor=actor, by_version=version.number
                )
        signed_on = clock.today(at=version.countersigned_at)
        signals.agreement_countersigned.send(agreement, version=version, actor=actor, signed_on=signed_on)
        if comes_into_force:
            signals.agreement_in_force.send(agreement, version=version, actor=actor, signed_on=signed_on)
    notify(events.AGREEMENT_COUNTERSIGNED, agreement=agreement, version=version)


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
    amounts excluded). Unpaid installments follow the new amounts (payments, on
    `agreement_amended`); paid ones never change.
    """
    with optimistic(agreement, expected_version):
        errors = amendment_problems(agreement, amounts, end_date)
        if errors:
            raise AmendmentInvalid(errors)
        amounts = {year: round_cent(value) for year, value in amounts.items()}
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
    signals.agreement_amended.send(agreement, years=list(amounts), actor=actor, reason="amendment")
    db.session.expire(agreement, ["versions", "years"])
    version = _new_version(agreement, VersionKind.AMENDMENT, reason=reason.strip(), actor=actor)
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
    notify(events.AGREEMENT_SENT, agreement=agreement, version=version)
    return version


def amendment_problems(
    agreement: Agreement, amounts: dict[FiscalYear, Decimal], end_date: date
) -> dict[str, str]:
    """Why an amendment's amounts cannot stand, by form field (`amount-<year>`), empty when they can.

    The decision's rules (not negative, within NUMERIC(14, 2) and the annual maximum prorated to
    the new period), except that a year may keep an amount above the maximum it already has (an
    indexed year); then the other packages' rules (`signals.amendment_checked`: payments refuses a
    year below what is already paid or authorized)."""
    limits = AmountLimits.of_request(agreement.request, end=end_date)
    problems: dict[FiscalYear, str] = {}
    for year, amount in sorted(amounts.items()):
        current = agreement.year(year)
        problem = amount_problem(
            amount, year, limits, zero_allowed=True, kept=current.amount if current else None
        )
        if problem:
            problems[year] = problem
    for answer in signals.collect(signals.amendment_checked, agreement, amounts=amounts):
        for year, problem in answer.items():
            problems.setdefault(year, problem)
    errors = {amount_field(year): str(problem) for year, problem in sorted(problems.items())}
    if not errors and not any(amount > 0 for amount in amounts.values()):
        errors["amounts"] = str(_l("Un avenant garde un montant pour au moins un exercice."))
    return errors


def set_indexed_amounts(
    rows: Iterable[tuple[int, FiscalYear, Decimal]] | Select, *, actor: Any, audit: bool = True
) -> int:
    """Set the live amount of agreement years (a yearly CPI indexation, or its reversal): the one
    way another package changes `agreement_years`.

    `rows` are (agreement_id, fiscal_year, amount) tuples, or a SELECT of those three columns
    (labelled `agreement_id`, `fiscal_year`, `amount`) run inside the UPDATE, so 10 000 grants stay
    one statement. Amounts are rounded to the cent. With `audit`, one `agreement.indexed` entry per
    year changed (amount before and after); a caller that audits the change itself passes False.
    Installments do not follow here: payments' `rebalance_many` does that. Answers how many rows
    the UPDATE changed."""
    db.session.flush()
    if isinstance(rows, Select):
        return _set_amounts_from_select(rows, actor=actor, audit=audit)
    rows = [
        (int(agreement_id), _fiscal_year(year), round_cent(amount)) for agreement_id, year, amount in rows
    ]
    if not rows:
        return 0
    if audit:
        _audit_indexed(rows, actor=actor)
    table = AgreementYear.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        # Three array parameters: a statement of constant size, whatever the number of rows.
        result = db.session.execute(
            text(
                "UPDATE agreement_years AS y SET amount = u.amount FROM unnest("
                "CAST(:ids AS integer[]), CAST(:years AS integer[]), CAST(:amounts AS numeric[])"
                ") AS u(agreement_id, fiscal_year, amount) "
                "WHERE y.agreement_id = u.agreement_id AND y.fiscal_year = u.fiscal_year"
            ),
            {
                "ids": [r[0] for r in rows],
                "years": [r[1].start_year for r in rows],
                "amounts": [r[2] for r in rows],
            },
        )
    else:
        statement = (
            db.update(table)
            .where(table.c.agreement_id == bindparam("b_id"), table.c.fiscal_year == bindparam("b_year"))
            .values(amount=bindparam("b_amount"))
        )
        result = db.session.connection().execute(
            statement, [{"b_id": i, "b_year": y.start_year, "b_amount": a} for i, y, a in rows]
        )
    _forget_loaded_years()
    return result.rowcount


def _fiscal_year(value: FiscalYear | int) -> FiscalYear:
    return value if isinstance(value, FiscalYear) else FiscalYear(int(value))


def _set_amounts_from_select(rows: Select, *, actor: Any, audit: bool) -> int:
    source = rows.subquery()
    if audit:
        found = db.session.execute(db.select(source.c.agreement_id, source.c.fiscal_year, source.c.amount))
        _audit_indexed([(i, _fiscal_year(y), round_cent(a)) for i, y, a in found], actor=actor)
    result = db.session.execute(
        db.update(AgreementYear)
        .values(amount=source.c.amount)
        .where(
            AgreementYear.agreement_id == source.c.agreement_id,
            AgreementYear.fiscal_year == source.c.fiscal_year,
        )
        .execution_options(synchronize_session=False)
    )
    _forget_loaded_years()
    return result.rowcount


def _audit_indexed(rows: list[tuple[int, FiscalYear, Decimal]], *, actor: Any) -> None:
    """One entry per agreement year whose amount changes: the year, the amount before and after."""
    before = {
        (agreement_id, year): (amount, organization_id)
        for agreement_id, year, amount, organization_id in db.session.execute(
            db.select(
                AgreementYear.agreement_id,
                AgreementYear.fiscal_year,
                AgreementYear.amount,
                Agreement.organization_id,
            )
            .join(Agreement, Agreement.id == AgreementYear.agreement_id)
            .where(AgreementYear.agreement_id.in_({r[0] for r in rows}))
        )
    }
    entries = []
    for agreement_id, year, amount in rows:
        old, organization_id = before.get((agreement_id, year), (None, None))
        if old is not None and old != amount:
            entries.append(
                {
                    "object_type": "Agreement",
                    "object_id": agreement_id,
                    "organization_id": organization_id,
                    "changes": {"fiscal_year": str(year), "amount": [old, amount]},
                }
            )
    record_many("agreement.indexed", entries, actor=actor)


def _forget_loaded_years() -> None:
    """The UPDATE went around the ORM: agreement years already loaded are read again when used."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, AgreementYear):
            db.session.expire(obj, ["amount"])
