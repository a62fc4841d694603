"""A data set with something in every state, for the tests that read the whole site (the crawl,
the reflow measurements): requests from draft to refused, agreements in force with paid,
authorized and held installments, reports reopened and submitted, an applied indexation run, the
CPI series, and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from grants.accountability import operations as reports
from grants.accountability.models import ReportSection
from grants.accounts.operations import invite_member
from grants.agreements.operations import amend
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.cpi.operations import DEFAULT_SERIES, series_named, set_month
from grants.fiscal import FiscalYear
from grants.indexation import operations as indexation
from grants.payments.models import Installment
from grants.payments.transitions import apply_event
from grants.payments.workflow import InstallmentEvent
from grants.programs.models import Program
from grants.requests.models import RequestSection
from grants.review import operations as review
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    budget_officer,
    complete_report,
    funding_request,
    member,
    open_call,
    report_of,
    staff,
)

CPI_MONTHS = {f"2026-{m:02d}": f"{165.0 + m * 0.2:.1f}" for m in range(4, 13)} | {
    f"2027-{m:02d}": f"{167.6 + m * 0.3:.1f}" for m in range(1, 13)
}


@dataclass
class Site:
    users: dict[str, Any]  # one user per role, by the role's name
    agreement: Any  # TNCES, in force, three years, indexed in 2027-2028
    other: Any  # HEBERGEMENT, in force
    midyear: Any  # reopened by the officer (the organization edits it)
    annual: Any  # submitted (the officer reviews it)
    run: Any  # the applied indexation run
    organization: Any
    cell: Any = None  # the coordination cell's data (`CellData`)


def build_site() -> Site:
    """Two programs' worth of files in every state, and one user per role (the CPI series gets
    hypothetical months through 2027: use it under the `cpi_sandbox` fixture)."""
    admin = staff(StaffRole.SYSTEM_ADMIN, full_name="Alex Admin")
    cell = staff(StaffRole.COORDINATION_CELL, full_name="Camille Cellule")
    series = series_named(DEFAULT_SERIES)
    for month, value in CPI_MONTHS.items():
        year, number = map(int, month.split("-"))
        set_month(series, date(year, number, 1), Decimal(value), reason="valeur d'essai", actor=admin)
    db.session.commit()

    organization = OrganizationFactory(
        legal_name="Table nationale d'essai", address="", postal_code="H2X 1Y4", neq=SITE_NEQ
    )
    agreement, officer = agreement_in_force("TNCES", organization, years=3, amount="175000.00")
    authorized = budget_officer("TNCES", full_name="Béatrice Budget")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization, full_name="Marie Tremblay")
    member(MemberRole.READ_ONLY, organization=organization, full_name="Léo Lecteur")

    # Payments: the first paid, the start of 2028-2029 authorized (the second half of each year
    # waits for its mid-year report), one of the next year held.
    first, _second, *rest = db.session.scalars(
        db.select(Installment).filter_by(agreement_id=agreement.id).order_by(Installment.id)
    ).all()
    apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    apply_event(
        first, InstallmentEvent.PAY, actor=officer, paid_on=date(2026, 5, 4), payment_reference="VIR-1"
    )
    year_start = next(i for i in rest if i.fiscal_year == FiscalYear(2028) and i.trigger == "year_start")
    apply_event(year_start, InstallmentEvent.AUTHORIZE, actor=officer)
    apply_event(rest[0], InstallmentEvent.HOLD, actor=officer, reason="Vérification des états financiers")
    db.session.commit()

    # Reports: the mid-year one submitted then reopened, the annual one submitted.
    midyear = complete_report(report_of(agreement, "midyear"), applicant)
    reports.submit(midyear.id, actor=applicant)
    db.session.commit()
    reports.request_changes(
        midyear, {ReportSection.ACTIVITIES: "Précisez les régions rejointes."}, actor=officer
    )
    annual = complete_report(report_of(agreement, "annual"), applicant)
    reports.submit(annual.id, actor=applicant)
    db.session.commit()

    # Requests of the organization in every state, with a call open.
    call = open_call("TNCES")
    funding_request("TNCES", organization, call_id=call.id, years=2, annual_amount="30000.00")
    undated = funding_request("TNCES", organization, call_id=call.id, years=1, annual_amount="1000.00")
    undated.start_date = undated.end_date = None
    submitted = funding_request("TNCES", organization, status="submitted", years=1, annual_amount="45000.50")
    asked = funding_request("TNCES", organization, status="under_review", years=2, annual_amount="12500.00")
    review.request_info(asked, [RequestSection.BUDGET], "Détaillez les frais de déplacement.", actor=officer)
    refused = funding_request("TNCES", organization, status="recommended", years=1, annual_amount="9000.00")
    review.refuse(refused, "Hors des priorités du programme.", actor=officer)
    db.session.commit()
    submitted.assignee_id = officer.id
    funding_request("TNCES", organization, status="withdrawn", years=1, annual_amount="5000.00")
    invite_member(
        organization.id,
        organization.legal_name,
        "nora@example.org",
        MemberRole.CONTRIBUTOR,
        full_name="Nora Nouvelle",
        language="en",
        actor=applicant,
    )
    db.session.commit()

    # A call for projects: its mid-year report accepted, then an amendment lowering the last year.
    other, shelter_officer = agreement_in_force("HEBERGEMENT", years=2, amount="90000.00")
    other_member = member(MemberRole.ACCOUNT_ADMIN, organization=other.organization)
    accepted = complete_report(report_of(other, "midyear"), other_member)
    reports.submit(accepted.id, actor=other_member)
    db.session.commit()
    reports.accept(accepted, actor=shelter_officer)
    db.session.commit()
    amounts = {y.fiscal_year: y.amount for y in other.years}
    amounts[max(amounts)] -= Decimal("5000.00")
    amend(
        other,
        amounts=amounts,
        end_date=other.end_date,
        conditions="Rapport final détaillé.",
        reason="Activité reportée",
        actor=shelter_officer,
    )
    db.session.commit()

    # An indexation run applied on the TNCES agreements for 2027-2028.
    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    run = indexation.create_run(tnces, FiscalYear(2027), actor=authorized)
    indexation.approve(run, actor=authorized)
    indexation.apply(run, actor=authorized)
    db.session.commit()

    users = {
        "organization member": applicant,
        "program officer": authorized,
        "coordination cell": cell,
        "administrator": admin,
    }
    site = Site(users, agreement, other, midyear, annual, run, organization)
    site.cell = build_cell_data(site, cell)
    return site


# -- the coordination cell ---------------------------------------------------------------------------
SITE_NEQ = "1143218765"
FUNDING_HEADER = (
    "record_id,source_ministry,program,recipient_name,recipient_neq,recipient_city,recipient_region,"
    "project_title,description,amount_cad,start_date,end_date,fiscal_year,measure"
)
# Other ministries' funding: two lines (MSSS, SHQ) of the TNCES agreement's own project for the same
# organization (same NEQ, overlapping period, similar title: duplicates, and funding the request
# did not declare), a line naming the organization without its NEQ, lines tagged with a measure,
# and a line whose amount cannot be read (the import's line error).
FUNDING_ROWS = (
    "MSSS-PSOC-2026-0901,MSSS,PSOC – soutien à la mission globale,Table nationale d'essai,"
    f"{SITE_NEQ},Montréal,06,Coordination nationale des tables régionales,"
    "Coordination nationale des tables régionales de concertation,60000.00,2026-04-01,2027-03-31,"
    "2026-2027,10",
    "SHQ-2026-0902,SHQ,Programme d'essai,TABLE NATIONALE D'ESSAI (LA),"
    f"{SITE_NEQ},Montreal,Montréal,Coordination des tables régionales,"
    "Coordination nationale des tables régionales,55000.00,2026-07-01,2027-06-30,2026-2027,",
    "MSP-2026-0903,MSP,Programme de prévention de la criminalité,Table nationale d'essai inc.,,"
    "Montréal,06,Concertation nationale,Soutien à la concertation nationale,20000.00,2026-04-01,"
    "2027-03-31,2026-2027,13",
    "MSSS-PJ-2026-0904,MSSS,Prévention Jeunesse,Maison des jeunes d'essai,1162345602,Longueuil,16,"
    "Prévention du recrutement en ligne,Ateliers dans les écoles secondaires,35000.00,2026-04-01,"
    "2027-03-31,2026-2027,10",
    "MSSS-PJ-2026-0905,MSSS,Prévention Jeunesse,Maison des jeunes d'essai,1162345602,Longueuil,16,"
    "Prévention,Ateliers,cinquante,2026-04-01,2027-03-31,2026-2027,",
)


@dataclass
class CellData:
    funding_import: Any  # the import, with one line refused
    flag: Any  # the flag the cell reviewed
    flagged_request: Any  # the request of the agreement, flagged
    decision: Any  # the entity decision recorded
    entity_id: int  # the group of the site's organization
    report_job: Any  # the budget dashboard's PDF, built


def build_cell_data(site: Site, cell: Any) -> CellData:
    """Import other ministries' funding, run the matching, review one flag and record one entity
    decision, as the cell does (synchronously: no worker)."""
    from grants.coordination import budget_report, decisions
    from grants.coordination.imports import load_file
    from grants.coordination.matching_run import refresh_matching
    from grants.coordination.models import EntityMember, FlagDecision, FundingFlag

    data = (FUNDING_HEADER + "\n" + "\n".join(FUNDING_ROWS) + "\n").encode("utf-8")
    outcome = load_file(data, "financement-autres-ministeres.csv", actor=cell)
    db.session.commit()
    assert outcome.funding_import.lines_refused == 1, outcome.errors

    refresh_matching()
    db.session.commit()
    # The organization as named without its NEQ, confirmed the same as the one with it.
    named = db.session.scalars(db.select(EntityMember).filter_by(party_key="ext:MSP:MSP-2026-0903")).all()
    ours = db.session.scalars(
        db.select(EntityMember).filter_by(party_key=f"org:{site.organization.id}")
    ).all()
    (decision,) = decisions.decide_parties(
        named, ours, same=True, comment="Même organisme, NEQ absent du fichier du MSP.", actor=cell
    )
    db.session.commit()
    refresh_matching()
    db.session.commit()

    request_id = site.agreement.request_id
    flagged = db.session.scalars(
        db.select(FundingFlag).filter_by(request_id=request_id).order_by(FundingFlag.id)
    ).all()
    assert flagged, "the agreement's request is flagged"
    decisions.review_flag(
        flagged[0],
        FlagDecision.CONFIRMED,
        "Financement du MSSS non déclaré, à voir avec la responsable.",
        actor=cell,
        expected_version=None,
    )
    db.session.commit()

    entity_id = db.session.scalars(
        db.select(EntityMember.entity_id).filter_by(party_key=f"org:{site.organization.id}")
    ).one()
    job = budget_report.start_budget_report(cell, "2026", language="fr")
    db.session.commit()
    budget_report.build_for_job(job.id)
    return CellData(outcome.funding_import, flagged[0], site.agreement.request, decision, entity_id, job)
