"""Factories for test data (factory_boy on the Flask-SQLAlchemy session)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from grants.accounts.models import Membership, StaffAssignment, User
from grants.accounts.passwords import hash_password
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.organizations.models import Organization, OrganizationKind

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganizationFactory(_Base):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Organisme d'essai {n}")
    kind = OrganizationKind.COMMUNITY
    city = "Montréal"
    region_code = "06"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Personne {n}")
    password_hash = _PASSWORD_HASH
    preferred_language = "fr"


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MemberRole.ACCOUNT_ADMIN


class StaffAssignmentFactory(_Base):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory)
    role = StaffRole.PROGRAM_OFFICER
    program_id = None


def member(
    role: MemberRole = MemberRole.ACCOUNT_ADMIN,
    organization: Organization | None = None,
    **user_fields: object,
) -> User:
    """A user who belongs to an organization (a new one unless given)."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organization=organization or OrganizationFactory(), role=role)
    return user


def staff(role: StaffRole, *program_codes: str, **user_fields: object) -> User:
    """A ministry user; program officers get one assignment per program code."""
    from grants.programs.models import Program

    user = UserFactory(**user_fields)
    if role is StaffRole.PROGRAM_OFFICER:
        for code in program_codes:
            program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()
            StaffAssignmentFactory(user=user, role=role, program_id=program.id)
    else:
        StaffAssignmentFactory(user=user, role=role)
    return user


# -- funding requests ------------------------------------------------------------------------------
def program(code: str):  # type: ignore[no-untyped-def]
    """A program from the reference data (loaded once for the whole suite)."""
    from grants.programs.models import Program

    return db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()


def funding_request(
    program_code: str = "TNCES",
    organization: Organization | None = None,
    *,
    status: str = "draft",
    first_year: int = 2026,
    years: int = 5,
    annual_amount: str = "175000.00",
    **fields: object,
):  # type: ignore[no-untyped-def]
    """A complete request (period, amounts and budget per fiscal year), in the given status.

    It is built directly in the database, as the operations would leave it, so tests of a later
    step do not depend on the pages of an earlier one.
    """
    from decimal import Decimal

    from grants.fiscal import FiscalYear
    from grants.requests.models import BudgetCategory, BudgetLine, FundingRequest, RequestYear

    organization = organization or OrganizationFactory()
    prog = program(program_code)
    first = FiscalYear(first_year)
    amount = Decimal(annual_amount)
    request = FundingRequest(
        organization_id=organization.id,
        program_id=prog.id,
        status=status,
        title=fields.pop("title", f"Demande {prog.code} de {organization.legal_name}"),
        summary=fields.pop("summary", "Coordination nationale des tables régionales."),
        objectives=fields.pop("objectives", "Soutenir la concertation."),
        target_populations=fields.pop("target_populations", "Jeunes à risque d'exploitation sexuelle."),
        start_date=first.start,
        end_date=(first + (years - 1)).end,
        first_fiscal_year=first,
        **fields,
    )
    db.session.add(request)
    db.session.flush()
    request.reference = f"{prog.code}-{first_year}-{request.id:05d}"
    for offset in range(years):
        year = first + offset
        request.years.append(RequestYear(fiscal_year=year, requested_amount=amount))
        salaries = (amount * Decimal("0.7")).quantize(Decimal("0.01"))
        request.budget_lines.append(
            BudgetLine(fiscal_year=year, category=BudgetCategory.SALARIES, amount=salaries)
        )
        request.budget_lines.append(
            BudgetLine(fiscal_year=year, category=BudgetCategory.OPERATING, amount=amount - salaries)
        )
    if status != "draft":
        from grants.core.db import utcnow

        request.submitted_at = utcnow()
    db.session.commit()
    return request


def pdf_bytes(text: str = "Document d'essai") -> bytes:
    """A small real PDF (rendered by WeasyPrint) for upload tests."""
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def open_call(program_code: str = "TNCES", **fields: object):  # type: ignore[no-untyped-def]
    """A call open since yesterday (continuous intake unless closes_at is given)."""
    from datetime import timedelta

    from grants.calls.models import Call
    from grants.core.db import utcnow

    prog = program(program_code)
    call = Call(
        program_id=prog.id,
        title_fr=fields.pop("title_fr", f"Appel {prog.code}"),
        title_en=fields.pop("title_en", f"{prog.code} call"),
        continuous=fields.pop("continuous", "closes_at" not in fields),
        opens_at=fields.pop("opens_at", utcnow() - timedelta(days=1)),
        years_max=fields.pop("years_max", prog.years_max),
        **fields,
    )
    db.session.add(call)
    db.session.commit()
    return call


def budget_officer(*program_codes: str, **user_fields: object) -> User:
    """A program officer with delegated budget authority on the given programs."""
    user = staff(StaffRole.PROGRAM_OFFICER, *program_codes, **user_fields)
    for assignment in user.staff_assignments:
        assignment.can_authorize = True
    db.session.commit()
    return user


def agreement_in_force(
    program_code: str = "TNCES",
    organization: Organization | None = None,
    *,
    first_year: int = 2026,
    years: int = 5,
    amount: str = "175000.00",
    start: object = None,
):  # type: ignore[no-untyped-def]
    """A request approved, accepted and countersigned through the real operations: an agreement in
    force with its payment schedule (and, through the `agreement_in_force` signal, its reports).
    `start` (a date in the first fiscal year) makes a grant that starts late. Answers
    (agreement, officer)."""
    from grants.agreements import operations as agreements
    from grants.review import operations as review

    officer = staff(StaffRole.PROGRAM_OFFICER, program_code)
    request = funding_request(
        program_code,
        organization,
        status="recommended",
        years=years,
        first_year=first_year,
        annual_amount=amount,
    )
    if start is not None:
        request.start_date = start
        db.session.commit()
    amounts = {y.fiscal_year: y.requested_amount for y in request.years}
    agreement = review.approve(request, amounts, "", actor=officer)
    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    agreements.accept(
        agreement,
        agreement.current,
        actor=signatory,
        signatory_name="Line Tremblay",
        signatory_title="Directrice générale",
        ip_address="127.0.0.1",
    )
    agreements.countersign(agreement, agreement.current, actor=officer)
    db.session.commit()
    return agreement, officer


# -- accountability reports --------------------------------------------------------------------------
def report_of(agreement, kind: str = "midyear", fiscal_year: int = 2026):  # type: ignore[no-untyped-def]
    """The report of that kind and year that the agreement's schedule created."""
    from grants.accountability.models import Report
    from grants.fiscal import FiscalYear

    return db.session.execute(
        db.select(Report).filter_by(agreement_id=agreement.id, kind=kind, fiscal_year=FiscalYear(fiscal_year))
    ).scalar_one()


def complete_report(report, actor, *, people: int = 40):  # type: ignore[no-untyped-def]
    """Fill every section of a report through the real operations, so it can be submitted: texts,
    each indicator, the financial statement (everything spent), a breakdown of `people` people by
    each variable, and the financial statements when the report asks for them."""
    from decimal import Decimal

    from grants.accountability import operations
    from grants.accountability.models import ReportAttachmentKind
    from grants.accountability.queries import indicators_of, settings_for
    from grants.accountability.validation import approved_by_category, variables_for
    from grants.files.sniffing import check_upload

    operations.save_activities(
        report, activities="Rencontres régionales et formation.", results="Objectifs atteints.", actor=actor
    )
    operations.save_indicators(
        report,
        {
            i.id: operations.IndicatorEntry(Decimal(index + 3))
            for index, i in enumerate(indicators_of(report.program_id))
        },
        actor=actor,
    )
    operations.save_finances(
        report,
        {
            c: operations.FinanceEntry(amount, Decimal(0))
            for c, amount in approved_by_category(report).items()
        },
        explanation="",
        actor=actor,
    )
    counts = {}
    for variable in variables_for(settings_for(report.program_id)):
        first, second = variable.codes[0], variable.codes[1]
        counts[variable.code] = {first: people // 2, second: people - people // 2}
    operations.save_people(report, operations.PeopleData(people, counts, {}), actor=actor)
    if report.has_financial_statements:
        accepted = check_upload(pdf_bytes("États financiers"), "etats-financiers.pdf", max_bytes=1024 * 1024)
        operations.add_attachment(report, ReportAttachmentKind.FINANCIAL_STATEMENTS, accepted, actor=actor)
    db.session.commit()
    return report


def accepted_report(agreement, officer, kind: str = "midyear", fiscal_year: int = 2026):  # type: ignore[no-untyped-def]
    """The report of that kind and year filled and submitted by a member of the organization, then
    accepted by `officer`, through the real operations: the installments it releases are
    authorized by the acceptance (an installment released by a report waits for it)."""
    from grants.accountability import operations

    author = member(MemberRole.CONTRIBUTOR, organization=agreement.organization)
    report = complete_report(report_of(agreement, kind, fiscal_year), author)
    operations.submit(report.id, actor=author)
    db.session.commit()
    db.session.refresh(report)
    operations.accept(report, actor=officer)
    db.session.commit()
    return report


# -- the coordination cell ---------------------------------------------------------------------------
def external_funding(record_id: str, recipient_name: str, **fields: object):  # type: ignore[no-untyped-def]
    """One line of another ministry's funding, as an import would leave it (its import made if not
    given): MSSS, Montréal, 50 000 $ over 2026-2027 unless told otherwise."""
    from datetime import date
    from decimal import Decimal

    from grants.coordination.models import ExternalFunding, FundingImport, ImportStatus
    from grants.fiscal import FiscalYear

    funding_import = fields.pop("funding_import", None)
    if funding_import is None:
        funding_import = FundingImport(file_name="essai.csv", sha256="0" * 64, status=ImportStatus.DONE)
        db.session.add(funding_import)
        db.session.flush()
    start = fields.pop("start_date", date(2026, 4, 1))
    line = ExternalFunding(
        import_id=funding_import.id,
        record_id=record_id,
        recipient_name=recipient_name,
        source_ministry=fields.pop("source_ministry", "MSSS"),
        program=fields.pop("program", "Programme de soutien aux organismes communautaires"),
        recipient_neq=fields.pop("recipient_neq", None),
        recipient_city=fields.pop("recipient_city", "Montréal"),
        recipient_region=fields.pop("recipient_region", "06"),
        project_title=fields.pop("project_title", ""),
        description=fields.pop("description", ""),
        amount=Decimal(str(fields.pop("amount", "50000.00"))),
        start_date=start,
        end_date=fields.pop("end_date", date(2027, 3, 31)),
        fiscal_year=fields.pop("fiscal_year", FiscalYear.of(start)),
        **fields,
    )
    db.session.add(line)
    db.session.commit()
    return line
