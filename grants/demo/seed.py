"""Demo organizations, accounts, envelopes, calls and a draft, so every role has something to look at.

The regional tables' names come from the plan; the community organizations are invented and
say so. Every demo account shares one password, printed by `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

from grants.accounts.models import User
from grants.accounts.operations import add_membership, create_user, find_user, grant_staff_role
from grants.calls.models import Call
from grants.calls.operations import create_call, quebec_moment
from grants.core import clock
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.core.seeding import read_csv
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization, OrganizationKind
from grants.organizations.operations import create_organization
from grants.programs.models import Program
from grants.programs.operations import set_envelope
from grants.requests.operations import start_request

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "Demo-Subventions-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.example.org", "Alex Administrateur", "system administrator"),
    DemoAccount(
        "agente.msi@demo.example.org",
        "Camille Agente (MSI)",
        "program officer with budget authority: PQLC, TNCES, TRCES",
    ),
    DemoAccount(
        "agente.scf@demo.example.org",
        "Dominique Agent (SCF)",
        "program officer: HEBERGEMENT, GUERISON-AUTOCHTONE",
    ),
    DemoAccount("cellule@demo.example.org", "Sacha Cellule", "coordination cell (measure 13)"),
    DemoAccount(
        "direction@cqctp.example.org",
        "Direction CQCTP",
        "account admin, fiduciary of the TNCES (agreement in force)",
    ),
    DemoAccount(
        "direction@passerelle.example.org",
        "Direction Maison Passerelle",
        "account admin, community organization",
    ),
    DemoAccount(
        "coordination@tables-regionales.example.org",
        "Coordination des tables régionales",
        "account admin of the nine regional tables (TRCES): reports in every state",
    ),
)

COMMUNITY_ORGANIZATIONS = (
    {
        "legal_name": "Coalition québécoise contre la traite des personnes",
        "aliases": ["CQCTP"],
        "kind": OrganizationKind.TABLE_FIDUCIARY,
        "city": "Montréal",
        "region_code": "06",
        "regions_served": [f"{n:02d}" for n in range(1, 18)],
    },
    {
        "legal_name": "Maison Passerelle (organisme fictif de démonstration)",
        "aliases": ["Maison Passerelle"],
        "neq": "1170000001",
        "kind": OrganizationKind.COMMUNITY,
        "address": "100, rue de la Démonstration",
        "city": "Laval",
        "postal_code": "H7N 1A1",
        "region_code": "13",
        "regions_served": ["13", "15"],
    },
    {
        "legal_name": "Cercle de guérison Uapikun (organisme fictif de démonstration)",
        "aliases": ["Cercle Uapikun"],
        "neq": "1170000002",
        "kind": OrganizationKind.INDIGENOUS,
        "city": "Sept-Îles",
        "region_code": "09",
        "nations_served": ["innus", "naskapis"],
        "communities_served": "Uashat mak Mani-utenam\nKawawachikamach",
    },
    {
        "legal_name": "Refuge Horizon Nord (organisme fictif de démonstration)",
        "neq": "1170000003",
        "kind": OrganizationKind.COMMUNITY,
        "city": "Kuujjuaq",
        "region_code": "10",
        "nations_served": ["inuit"],
        "communities_served": "Kuujjuaq",
    },
)

DEMO_ENVELOPES = {  # demo figures built on the public ones in CONVENTIONS.md
    "TNCES": Decimal("175000.00"),
    "TRCES": Decimal("1085596.00"),  # eight tables at 125 000 $ and one at 85 596 $
    "PQLC": Decimal("2265440.00"),  # twenty organizations at 113 272 $
    "HEBERGEMENT": Decimal("1500000.00"),
    "GUERISON-AUTOCHTONE": Decimal("600000.00"),
}


def demo_loaded() -> bool:
    return find_user(DEMO_ACCOUNTS[0].email) is not None


def database_is_empty() -> bool:
    return db.session.execute(db.select(User.id).limit(1)).first() is None


def seed_demo() -> list[DemoAccount]:
    """Create the demo data set; does nothing when it is already there."""
    if demo_loaded():
        return list(DEMO_ACCOUNTS)
    organizations: dict[str, Organization] = {}
    for data in COMMUNITY_ORGANIZATIONS:
        organization = create_organization(dict(data))
        organizations[data["aliases"][0] if data.get("aliases") else data["legal_name"]] = organization
    tables = []
    for row in read_csv(DATA / "regional_tables.csv"):
        table = create_organization(
            {
                "legal_name": row["name"],
                "kind": OrganizationKind.CONCERTATION_TABLE,
                "city": row["city"],
                "region_code": row["region_code"],
                "regions_served": [row["region_code"]],
            }
        )
        tables.append(table)
    programs = {p.code: p for p in db.session.scalars(db.select(Program))}

    def user(account: DemoAccount) -> User:
        return create_user(account.email, full_name=account.name, password=DEMO_PASSWORD)

    admin, officer_msi, officer_scf, cell, cqctp, passerelle, coordination = (user(a) for a in DEMO_ACCOUNTS)
    grant_staff_role(admin, StaffRole.SYSTEM_ADMIN)
    for code in ("PQLC", "TNCES", "TRCES"):
        assignment = grant_staff_role(officer_msi, StaffRole.PROGRAM_OFFICER, program_id=programs[code].id)
        assignment.can_authorize = True  # delegated budget authority: envelope overrides, indexation
    for code in ("HEBERGEMENT", "GUERISON-AUTOCHTONE"):
        grant_staff_role(officer_scf, StaffRole.PROGRAM_OFFICER, program_id=programs[code].id)
    grant_staff_role(cell, StaffRole.COORDINATION_CELL)
    add_membership(cqctp, organizations["CQCTP"].id, MemberRole.ACCOUNT_ADMIN)
    add_membership(passerelle, organizations["Maison Passerelle"].id, MemberRole.ACCOUNT_ADMIN)
    for table in tables:
        add_membership(coordination, table.id, MemberRole.ACCOUNT_ADMIN)

    year = FiscalYear(2026)
    for code, amount in DEMO_ENVELOPES.items():
        set_envelope(programs[code], year, amount, actor=admin)
    calls = _seed_calls(programs, admin)
    start_request(
        organizations["Maison Passerelle"], calls["HEBERGEMENT"], actor=passerelle, token="demo-passerelle"
    )
    _seed_tnces_agreement(organizations["CQCTP"], programs["TNCES"], officer=officer_msi, signatory=cqctp)
    db.session.flush()
    from grants.demo.reports import seed_demo_reports

    seed_demo_reports(
        tables=tables,
        programs=programs,
        officer=officer_msi,
        signatory=coordination,
        tnces_signatory=cqctp,
        agreement_factory=_agreement,
    )
    db.session.flush()
    _seed_external_funding(cell)
    return list(DEMO_ACCOUNTS)


def _seed_external_funding(cell: User) -> None:
    """Other ministries' funding for the coordination cell: the demo file, loaded now (no job),
    as the cell's import. Some lines fund our demo organizations for what our grants already pay
    for (intended duplicates), one is a renewal, some name a plan measure."""
    from grants.coordination.imports import DEMO_FILE, load_file
    from grants.coordination.matching_run import refresh_matching

    load_file(DEMO_FILE.read_bytes(), DEMO_FILE.name, actor=cell)
    db.session.flush()
    refresh_matching()  # the cell's groups and flags, as its background job leaves them


def _seed_tnces_agreement(
    organization: Organization, program: Program, *, officer: User, signatory: User
) -> None:
    """The TNCES in force since 2025-2026 at 175 000 $ a year for five years (the brief's
    recommendation 1), approved, accepted and countersigned through the real operations, so the
    indexation of 2026-2027 can be previewed, approved and applied on the demo."""
    _agreement(
        organization,
        program,
        FiscalYear(2025),
        5,
        Decimal("175000.00"),
        officer=officer,
        signatory=signatory,
        title="Table nationale de concertation en matière d'exploitation sexuelle 2025-2030",
        summary="Coordination nationale des tables régionales, fiduciaire : la CQCTP.",
        submitted_on=date(2025, 2, 14),
    )


def _agreement(
    organization: Organization,
    program: Program,
    first: FiscalYear,
    years: int,
    amount: Decimal,
    *,
    officer: User,
    signatory: User,
    title: str = "",
    summary: str = "",
    submitted_on: date | None = None,
):  # type: ignore[no-untyped-def]
    """A request for `years` years at `amount` a year from `first`, approved, accepted and
    countersigned through the real operations: an agreement in force (its payment schedule and
    reports come with it)."""
    from grants.agreements import operations as agreements
    from grants.requests.models import BudgetCategory, BudgetLine, FundingRequest, RequestYear
    from grants.requests.workflow import RequestStatus
    from grants.review import operations as review

    last = first + (years - 1)
    request = FundingRequest(
        organization_id=organization.id,
        program_id=program.id,
        status=RequestStatus.RECOMMENDED,
        title=title or f"{organization.legal_name} {first.start_year}-{last.end.year}",
        summary=summary or "Concertation régionale, formation et sensibilisation.",
        objectives="Concertation, transfert de connaissances, représentation.",
        target_populations="Tables régionales, organismes et partenaires.",
        start_date=first.start,
        end_date=last.end,
        first_fiscal_year=first,
        submitted_at=quebec_moment(submitted_on or first.start - timedelta(days=30), time(10, 0)),
    )
    db.session.add(request)
    db.session.flush()
    request.reference = f"{program.code}-{first.start_year}-{request.id:05d}"
    for offset in range(years):
        year = first + offset
        request.years.append(RequestYear(fiscal_year=year, requested_amount=amount))
        request.budget_lines.append(
            BudgetLine(fiscal_year=year, category=BudgetCategory.SALARIES, amount=amount)
        )
    db.session.flush()
    agreement = review.approve(request, {y.fiscal_year: amount for y in request.years}, "", actor=officer)
    agreements.accept(
        agreement,
        agreement.current,
        actor=signatory,
        signatory_name="Direction générale",
        signatory_title="Directrice générale",
        ip_address="127.0.0.1",
    )
    agreements.countersign(agreement, agreement.current, actor=officer)
    return agreement


def _seed_calls(programs: dict[str, Program], actor: User) -> dict[str, Call]:
    """Continuous intake for mission and table funding; two calls for projects (one open now,
    one announced) so every page of the request journey has something to show."""
    today = clock.today()
    opened = quebec_moment(today - timedelta(days=30), time(8, 0))
    calls = {}
    for code, title_fr, title_en in (
        ("PQLC", "Soutien à la mission — admission continue", "Mission support — continuous intake"),
        ("TNCES", "Table nationale — admission continue", "National table — continuous intake"),
        ("TRCES", "Tables régionales — admission continue", "Regional tables — continuous intake"),
    ):
        calls[code] = create_call(
            programs[code],
            {
                "title_fr": title_fr,
                "title_en": title_en,
                "continuous": True,
                "opens_at": opened,
                "years_max": programs[code].years_max,
            },
            actor=actor,
        )
    calls["HEBERGEMENT"] = create_call(
        programs["HEBERGEMENT"],
        {
            "title_fr": "Appel de projets : hébergement des personnes victimes",
            "title_en": "Call for projects: housing for victims",
            "opens_at": opened,
            "closes_at": quebec_moment(today + timedelta(days=60), time(23, 59)),
            "years_max": programs["HEBERGEMENT"].years_max,
            "eligible_kinds": [OrganizationKind.COMMUNITY.value, OrganizationKind.INDIGENOUS.value],
        },
        actor=actor,
    )
    calls["GUERISON-AUTOCHTONE"] = create_call(
        programs["GUERISON-AUTOCHTONE"],
        {
            "title_fr": "Appel de projets : initiatives de guérison autochtones",
            "title_en": "Call for projects: Indigenous healing initiatives",
            "opens_at": quebec_moment(today + timedelta(days=30), time(8, 0)),
            "closes_at": quebec_moment(today + timedelta(days=120), time(23, 59)),
            "years_max": programs["GUERISON-AUTOCHTONE"].years_max,
            "eligible_kinds": [OrganizationKind.INDIGENOUS.value],
        },
        actor=actor,
    )
    return calls
