"""The coordination cell's matching run, its pages and its decisions (issue 11, items 2 and 3), on
hand-built cases: which records are the same organization, which funding is flagged and why (in
words, French and English), the cell's decisions kept across runs and imports, and what the
program officer sees on the request's analysis page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from grants.accounts.models import User
from grants.coordination.entities import Reason
from grants.coordination.matching_run import refresh_matching, same_funder
from grants.coordination.models import (
    EntityDecision,
    EntityMember,
    ExternalFunding,
    FlagDecision,
    FlagKind,
    FlagReview,
    FundingFlag,
    MatchedEntity,
)
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import StaffRole
from grants.requests.models import FundingSourceStatus, OtherFunding
from tests.factories import OrganizationFactory, external_funding, funding_request, member, staff
from tests.helpers import csrf_token, normalize_spaces

NEQ = "1143218765"
PREVENTION_FR = (
    "Ateliers de prévention de l'exploitation sexuelle dans les écoles secondaires",
    "Ateliers de sensibilisation auprès des élèves du secondaire sur le recrutement et "
    "l'exploitation sexuelle des jeunes filles.",
)


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})


def run() -> None:
    refresh_matching()
    db.session.commit()


def entity_of(key: str) -> MatchedEntity:
    member_row = db.session.scalars(select(EntityMember).filter_by(party_key=key)).one()
    return db.session.get(MatchedEntity, member_row.entity_id)


def member_of(key: str) -> EntityMember:
    return db.session.scalars(select(EntityMember).filter_by(party_key=key)).one()


def flags(kind: FlagKind | None = None) -> list[FundingFlag]:
    statement = select(FundingFlag).order_by(FundingFlag.id)
    if kind is not None:
        statement = statement.where(FundingFlag.kind == kind.value)
    return list(db.session.scalars(statement))


def our_grant(organization, *, amount: str = "100000.00", **fields):  # type: ignore[no-untyped-def]
    """An approved one-year TNCES request of `organization` (2026-2027), budget = amount."""
    request = funding_request(
        "TNCES",
        organization,
        status="approved",
        years=1,
        annual_amount=amount,
        title=fields.pop("title", PREVENTION_FR[0]),
        summary=fields.pop("summary", PREVENTION_FR[1]),
        **fields,
    )
    for year in request.years:
        year.approved_amount = year.requested_amount
    db.session.commit()
    return request


def declare(request, funder: str, amount: str) -> None:  # type: ignore[no-untyped-def]
    request.other_funding.append(
        OtherFunding(
            funder=funder,
            amount=Decimal(amount),
            start_date=date(2026, 4, 1),
            end_date=date(2027, 3, 31),
            status=FundingSourceStatus.OBTAINED,
        )
    )
    db.session.commit()


# -- which records are the same organization ------------------------------------------------------
def test_same_neq_links_records_and_ties_the_lines_to_our_organization(client, sign_in):
    ours = OrganizationFactory(legal_name="Maison La Passerelle", neq=NEQ, city="Longueuil", region_code="16")
    external_funding("A-1", "La Passerelle inc.", recipient_neq=NEQ, recipient_city="Longueuil")
    external_funding("A-2", "PASSERELLE (LA)", recipient_neq=NEQ, recipient_city="Saint-Hubert")
    run()

    group = entity_of("ext:MSSS:A-1")
    assert entity_of("ext:MSSS:A-2").id == group.id == entity_of(f"org:{ours.id}").id
    assert group.label == "Maison La Passerelle" and group.organization_id == ours.id
    assert Reason(member_of("ext:MSSS:A-2").reasons) & Reason.SAME_NEQ
    lines = db.session.scalars(select(ExternalFunding)).all()
    assert {line.organization_id for line in lines} == {ours.id}

    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = client.get(f"/cellule/organismes/{group.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "même NEQ" in html and "PASSERELLE (LA)" in html
    listing = client.get("/cellule/organismes/?q=passerelle").get_data(as_text=True)
    assert f"/cellule/organismes/{group.id}" in listing
    exported = client.get("/cellule/organismes/?format=csv").get_data(as_text=True)
    assert "ext:MSSS:A-2" in exported and "même NEQ" in exported


def test_look_alike_names_in_different_towns_are_not_linked():
    external_funding("B-1", "Centre de femmes La Source", recipient_city="Laval", recipient_region="13")
    external_funding("B-2", "Centre de femmes La Source", recipient_city="Rimouski", recipient_region="01")
    external_funding("B-3", "Centre des femmes La Source inc.", recipient_city="Laval", recipient_region="13")
    run()
    assert entity_of("ext:MSSS:B-1").id == entity_of("ext:MSSS:B-3").id  # same town: linked
    assert entity_of("ext:MSSS:B-1").id != entity_of("ext:MSSS:B-2").id


def test_two_different_neqs_are_never_merged():
    external_funding("C-1", "Maison d'hébergement L'Aquarelle", recipient_neq="1111111111")
    external_funding("C-2", "Maison d'hébergement L'Aquarelle", recipient_neq="2222222222")
    run()
    assert entity_of("ext:MSSS:C-1").id != entity_of("ext:MSSS:C-2").id


# -- duplicated funding ------------------------------------------------------------------------------
def duplicate_case():  # type: ignore[no-untyped-def]
    ours = OrganizationFactory(legal_name="Maison La Passerelle", neq=NEQ, city="Longueuil", region_code="16")
    request = our_grant(ours)
    external_funding(
        "D-1",
        "La Passerelle inc.",
        recipient_neq=NEQ,
        recipient_city="Longueuil",
        recipient_region="16",
        project_title="Prévention de l'exploitation sexuelle dans les écoles secondaires",
        description="Ateliers auprès des élèves du secondaire sur le recrutement et l'exploitation sexuelle.",
        end_date=date(2026, 12, 31),
        amount="40000.00",
    )
    run()
    return ours, request


def test_a_duplicated_funding_pair_is_flagged_with_its_explanation(client, sign_in):
    ours, request = duplicate_case()
    (flag,) = flags(FlagKind.DUPLICATE)
    assert {flag.key_a, flag.key_b} == {f"req:{request.id}", "ext:MSSS:D-1"}
    assert flag.request_id == request.id and flag.organization_id == ours.id
    assert flag.evidence["overlap_days"] == 275 and flag.decision == FlagDecision.OPEN

    sign_in(staff(StaffRole.COORDINATION_CELL))
    html = normalize_spaces(client.get(f"/cellule/signalements/{flag.id}").get_data(as_text=True))
    assert "même NEQ" in html and "périodes qui se chevauchent sur 9 mois" in html
    assert "descriptions semblables à 0," in html
    assert "La Passerelle inc." in html and "Maison La Passerelle" in html  # both lines side by side
    assert "Doublon confirmé" in html and "Enregistrer la décision" in html
    # the organization links to the group its records are in now
    group = entity_of("ext:MSSS:D-1")
    assert f'href="/cellule/organismes/{group.id}"' in html
    english = client.get(f"/cellule/signalements/{flag.id}?lang=en").get_data(as_text=True)
    assert "same NEQ" in english and "overlapping periods for 9 months" in english
    assert "Confirmed duplicate" in english and "Save the decision" in english
    client.get("/?lang=fr")
    listing = normalize_spaces(client.get("/cellule/signalements/?kind=duplicate").get_data(as_text=True))
    assert f"/cellule/signalements/{flag.id}" in listing and "même NEQ" in listing
    exported = client.get("/cellule/signalements/?format=csv").get_data(as_text=True)
    assert f"req:{request.id}" in exported and "ext:MSSS:D-1" in exported


def test_a_renewal_by_the_same_funder_the_next_year_is_not_a_duplicate():
    common = {
        "recipient_neq": NEQ,
        "project_title": PREVENTION_FR[0],
        "description": PREVENTION_FR[1],
    }
    external_funding("R-1", "La Passerelle", program="PSOC 2026", end_date=date(2027, 4, 30), **common)
    external_funding(
        "R-2",
        "La Passerelle",
        program="PSOC 2027",
        start_date=date(2027, 4, 1),
        end_date=date(2028, 3, 31),
        **common,
    )
    run()
    assert flags(FlagKind.DUPLICATE) == []
    # the same two lines from two funders are a duplicate: only the renewal rule kept them apart
    external_funding(
        "R-3",
        "La Passerelle",
        source_ministry="MSP",
        start_date=date(2027, 4, 1),
        end_date=date(2028, 3, 31),
        **common,
    )
    run()
    found = {(f.key_a, f.key_b) for f in flags(FlagKind.DUPLICATE)}
    assert found == {("ext:MSP:R-3", "ext:MSSS:R-2"), ("ext:MSP:R-3", "ext:MSSS:R-1")}  # R-1 ends in April


def test_the_same_organization_funded_for_two_purposes_is_not_flagged():
    external_funding(
        "P-1",
        "La Passerelle",
        recipient_neq=NEQ,
        project_title="Hébergement d'urgence pour femmes victimes",
        description="Dix places d'hébergement de crise, ouvertes jour et nuit.",
    )
    external_funding(
        "P-2",
        "La Passerelle",
        recipient_neq=NEQ,
        source_ministry="MSP",
        project_title="Campagne auprès des chauffeurs de taxi",
        description="Formation des chauffeurs au repérage des signes de la traite dans les hôtels.",
    )
    run()
    assert entity_of("ext:MSSS:P-1").id == entity_of("ext:MSP:P-2").id
    assert flags(FlagKind.DUPLICATE) == []


# -- over budget, omitted ------------------------------------------------------------------------------
def test_a_project_funded_over_its_budget_is_flagged(client, sign_in):
    ours = OrganizationFactory(legal_name="Le Phare des jeunes", city="Québec", region_code="03")
    over = our_grant(ours, amount="100000.00")
    declare(over, "Centraide Québec", "30000.00")
    within = our_grant(OrganizationFactory(legal_name="L'Escale", city="Québec", region_code="03"))
    declare(within, "Centraide Québec", "0.00")
    run()
    (flag,) = flags(FlagKind.OVER_BUDGET)
    assert flag.request_id == over.id and flag.amount == Decimal("30000.00")
    assert flag.evidence["budget"] == "100000.00" and flag.evidence["total"] == "130000.00"
    sign_in(staff(StaffRole.COORDINATION_CELL))
    html = normalize_spaces(client.get(f"/cellule/signalements/{flag.id}").get_data(as_text=True))
    assert "30 000,00 $ de plus que le budget du projet (100 000,00 $)" in html


def test_a_known_grant_missing_from_the_declared_funding_is_flagged():
    assert same_funder("Ministère de la Santé et des Services sociaux", "MSSS")
    assert not same_funder("Ministère de la Santé et des Services sociaux", "MSP")
    ours = OrganizationFactory(legal_name="Maison La Passerelle", neq=NEQ, city="Longueuil", region_code="16")
    request = our_grant(ours, amount="200000.00")
    declare(request, "Ministère de la Santé et des Services sociaux", "20000.00")
    external_funding(
        "O-1", "La Passerelle", recipient_neq=NEQ, project_title="Soutien à la mission", amount="20000"
    )
    external_funding(
        "O-2",
        "La Passerelle",
        recipient_neq=NEQ,
        source_ministry="MSP",
        project_title="Patrouilles de rue",
        start_date=date(2026, 10, 1),
    )
    external_funding(
        "O-3",
        "La Passerelle",
        recipient_neq=NEQ,
        source_ministry="MJQ",
        project_title="Accompagnement judiciaire",
        start_date=date(2028, 4, 1),
        end_date=date(2029, 3, 31),
    )  # after the request's period
    run()
    (flag,) = flags(FlagKind.OMITTED)
    assert (flag.key_a, flag.key_b) == (f"req:{request.id}", "ext:MSP:O-2")
    assert flag.evidence["declared"] == ["Ministère de la Santé et des Services sociaux"]
    from grants.coordination.explain import explanation

    text = normalize_spaces(explanation(flag))
    assert "MSP verse 50 000,00 $ au même organisme (même NEQ" in text
    assert "sur 6 mois" in text and "Ministère de la Santé et des Services sociaux" in text


# -- the cell's decisions ------------------------------------------------------------------------------
def test_reviews_are_audited_and_kept_after_a_new_run(client, sign_in):
    duplicate_case()
    (flag,) = flags(FlagKind.DUPLICATE)
    cell = staff(StaffRole.COORDINATION_CELL)
    sign_in(cell)
    url = f"/cellule/signalements/{flag.id}"
    token = csrf_token(client, url)
    refused = client.post(url, data={"csrf_token": token, "version": flag.version, "decision": "nonsense"})
    assert refused.status_code == 422 and db.session.scalars(select(FlagReview)).all() == []
    sent = client.post(
        url,
        data={
            "csrf_token": token,
            "version": flag.version,
            "decision": "confirmed",
            "comment": "Même projet.",
        },
    )
    assert sent.status_code == 303
    stale = client.post(url, data={"csrf_token": token, "version": flag.version, "decision": "false_alarm"})
    assert stale.status_code == 409  # a page opened before the first review
    db.session.expire_all()
    assert db.session.get(FundingFlag, flag.id).decision == FlagDecision.CONFIRMED
    entry = db.session.scalars(select(AuditEntry).filter_by(action="coordination.flag_reviewed")).one()
    assert entry.actor_id == cell.id and entry.object_id == str(flag.id) and entry.organization_id is None
    assert "Même projet." in client.get(url).get_data(as_text=True)

    reviewed_version = db.session.get(FundingFlag, flag.id).version
    run()  # found again: same flag, same decision, its review kept, a page open on it still good
    (again,) = flags(FlagKind.DUPLICATE)
    assert again.id == flag.id and again.decision == FlagDecision.CONFIRMED and len(again.reviews) == 1
    assert again.version == reviewed_version
    db.session.delete(db.session.scalars(select(ExternalFunding)).one())  # the import withdrawn
    db.session.commit()
    run()
    gone = db.session.get(FundingFlag, flag.id)
    assert gone.still_found is False and len(gone.reviews) == 1
    assert "ligne retirée depuis" in client.get(url).get_data(as_text=True)
    sign_out(client)
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    journal = client.get("/journal/").get_data(as_text=True)
    assert f'a rendu une décision sur le signalement <a href="/cellule/signalements/{flag.id}"' in journal


def test_a_split_survives_a_new_import_and_a_confirmation_joins(client, sign_in):
    external_funding("S-1", "Centre de femmes L'Écho", recipient_city="Laval", recipient_region="13")
    external_funding("S-2", "Centre de femmes L'Éco", recipient_city="Laval", recipient_region="13")
    external_funding("S-3", "Le Havre des femmes", recipient_city="Laval", recipient_region="13")
    external_funding("S-4", "Maison Simonne-Monet", recipient_city="Laval", recipient_region="13")
    run()
    group = entity_of("ext:MSSS:S-1")
    assert entity_of("ext:MSSS:S-2").id == group.id
    sign_in(staff(StaffRole.COORDINATION_CELL))
    token = csrf_token(client, f"/cellule/organismes/{group.id}")
    split = client.post(
        f"/cellule/organismes/{group.id}/separer",
        data={
            "csrf_token": token,
            "split-members": [member_of("ext:MSSS:S-2").id],
            "split-comment": "Deux centres.",
        },
    )
    assert split.status_code == 303
    (decision,) = db.session.scalars(select(EntityDecision)).all()
    assert decision.same is False and decision.comment == "Deux centres."
    entry = db.session.scalars(select(AuditEntry).filter_by(action="coordination.entity_split")).one()
    # the journal keeps the names as written, not the matching keys (`centre femme echo`)
    assert {entry.changes["a"][0], entry.changes["b"][0]} == {
        "Centre de femmes L'Écho",
        "Centre de femmes L'Éco",
    }
    journal = client.get("/journal/?action=coordination.entity_split").get_data(as_text=True)
    assert "Centre de femmes L&#39;Écho" in journal or "Centre de femmes L'Écho" in journal
    run()
    assert entity_of("ext:MSSS:S-1").id != entity_of("ext:MSSS:S-2").id
    # a new import of the same lines (new rows): the split still holds
    db.session.execute(ExternalFunding.__table__.delete())
    db.session.commit()
    external_funding("S-1", "Centre de femmes L'Écho", recipient_city="Laval", recipient_region="13")
    external_funding("S-2", "Centre de femmes L'Éco", recipient_city="Laval", recipient_region="13")
    external_funding("S-3", "Le Havre des femmes", recipient_city="Laval", recipient_region="13")
    external_funding("S-4", "Maison Simonne-Monet", recipient_city="Laval", recipient_region="13")
    run()
    assert entity_of("ext:MSSS:S-1").id != entity_of("ext:MSSS:S-2").id

    # a confirmation joins two groups the names alone kept apart
    first, second = entity_of("ext:MSSS:S-3"), entity_of("ext:MSSS:S-4")
    assert first.id != second.id
    token = csrf_token(client, f"/cellule/organismes/{first.id}")
    bad = client.post(
        f"/cellule/organismes/{first.id}/confirmer", data={"csrf_token": token, "confirm-other": "douze"}
    )
    assert bad.status_code == 422
    joined = client.post(
        f"/cellule/organismes/{first.id}/confirmer",
        data={"csrf_token": token, "confirm-other": str(second.id), "confirm-comment": "Ancien nom."},
    )
    assert joined.status_code == 303
    run()
    assert entity_of("ext:MSSS:S-3").id == entity_of("ext:MSSS:S-4").id
    linked = [member_of("ext:MSSS:S-3"), member_of("ext:MSSS:S-4")]
    assert any(Reason(m.reasons) & Reason.CONFIRMED for m in linked)


def test_a_confirmation_across_two_neqs_is_refused(client, sign_in):
    external_funding("N-1", "L'Aquarelle", recipient_neq="1111111111")
    external_funding("N-2", "L'Aquarelle", recipient_neq="2222222222")
    run()
    first, second = entity_of("ext:MSSS:N-1"), entity_of("ext:MSSS:N-2")
    sign_in(staff(StaffRole.COORDINATION_CELL))
    token = csrf_token(client, f"/cellule/organismes/{first.id}")
    refused = client.post(
        f"/cellule/organismes/{first.id}/confirmer",
        data={"csrf_token": token, "confirm-other": str(second.id)},
    )
    assert refused.status_code == 422
    assert "Deux NEQ différents" in refused.get_data(as_text=True)
    assert db.session.scalars(select(EntityDecision)).all() == []


# -- the request's page ----------------------------------------------------------------------------------
def test_the_officer_sees_the_flag_on_the_request_and_the_organization_does_not(client, sign_in):
    ours, request = duplicate_case()
    (flag,) = flags(FlagKind.DUPLICATE)
    flag.decision = FlagDecision.CONFIRMED
    db.session.commit()
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    html = normalize_spaces(client.get(f"/analyse/{request.id}").get_data(as_text=True))
    assert "Signalements de la cellule de coordination" in html
    assert "Doublon confirmé" in html and "périodes qui se chevauchent sur 9 mois" in html
    assert f"/cellule/signalements/{flag.id}" not in html  # the officer cannot open the cell's page
    english = client.get(f"/analyse/{request.id}?lang=en").get_data(as_text=True)
    assert "Coordination cell flags" in english and "Confirmed duplicate" in english

    sign_out(client)
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "PQLC"))
    assert client.get(f"/analyse/{request.id}").status_code == 404

    sign_out(client)
    sign_in(member(organization=ours))
    assert client.get(f"/analyse/{request.id}").status_code == 404
    own_page = client.get(f"/demandes/{request.id}")
    assert own_page.status_code == 200
    text = own_page.get_data(as_text=True)
    assert "Signalements de la cellule de coordination" not in text and "Doublon confirmé" not in text


# -- through the real worker ---------------------------------------------------------------------------
def test_a_run_through_the_celery_worker_reports_its_progress(client, sign_in, celery_worker):
    from grants.core.jobs import BackgroundJob
    from tests.conftest import wait_until

    duplicate_case()
    db.session.execute(FundingFlag.__table__.delete())
    db.session.commit()
    sign_in(staff(StaffRole.COORDINATION_CELL))
    token = csrf_token(client, "/cellule/organismes/")
    assert client.post("/cellule/organismes/actualiser", data={"csrf_token": token}).status_code == 303
    job = db.session.scalars(select(BackgroundJob).filter_by(kind="matching")).one()
    assert job.total == 4

    def finished() -> BackgroundJob | None:
        db.session.expire_all()
        current = db.session.get(BackgroundJob, job.id)
        return current if current.status in ("done", "failed") else None

    done = wait_until(finished, timeout=60)
    assert done.status == "done", done.reason
    assert done.done == 4 and done.started_at is not None and done.params["flags"] == 3
    assert client.get(f"/taches/{job.id}").get_json()["percent"] == 100
    # the pair, and for our request: over its budget with the duplicate, an undeclared funder
    assert {f.kind for f in flags()} == {FlagKind.DUPLICATE, FlagKind.OVER_BUDGET, FlagKind.OMITTED}
    page = client.get("/cellule/organismes/").get_data(as_text=True)
    assert "3 signalements" in page


def test_bad_input_on_the_cell_pages_never_gives_a_500(client, sign_in):
    duplicate_case()
    flag = flags(FlagKind.DUPLICATE)[0]
    group = entity_of("ext:MSSS:D-1")
    sign_in(staff(StaffRole.COORDINATION_CELL))
    for path in (
        "/cellule/signalements/?kind=zzz&decision=%00&fiscal_year=2026-2029&still=maybe&sort=-nope&page=-4",
        "/cellule/signalements/?fiscal_year=abcd&format=csv",
        "/cellule/organismes/?q=%25_%5C&scope=zzz&sort=label&page=99999999",
        "/cellule/organismes/99999999",
        "/cellule/signalements/99999999",
    ):
        response = client.get(path)
        assert response.status_code in (200, 404), path
    token = csrf_token(client, f"/cellule/signalements/{flag.id}")
    for data, status in (
        ({"version": "99999999999", "decision": "open"}, 422),  # OPEN is not a decision one takes
        ({"version": str(flag.version), "decision": "confirmed", "comment": "x" * 5000}, 422),
        ({"version": str(flag.version + 1), "decision": "confirmed"}, 409),
        ({"version": "abc", "decision": "false_alarm"}, 303),  # no version read: no check (the house rule)
    ):
        response = client.post(f"/cellule/signalements/{flag.id}", data={"csrf_token": token, **data})
        assert response.status_code == status, data
    assert client.post(f"/cellule/signalements/{flag.id}", data={"decision": "confirmed"}).status_code == 400
    token = csrf_token(client, f"/cellule/organismes/{group.id}")
    for url, data in (
        (f"/cellule/organismes/{group.id}/separer", {"split-members": ["999999", "abc"]}),
        (f"/cellule/organismes/{group.id}/separer", {}),
        (f"/cellule/organismes/{group.id}/confirmer", {"confirm-other": "99999999999999"}),
        (f"/cellule/organismes/{group.id}/confirmer", {"confirm-other": "-3"}),
    ):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 422, (url, data)
    assert [r.decision for r in db.session.scalars(select(FlagReview))] == [FlagDecision.FALSE_ALARM]
    assert db.session.scalars(select(EntityDecision)).all() == []


def test_the_command_runs_the_same_matching(app):
    duplicate_case()
    db.session.execute(FundingFlag.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["coordination", "match", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "2 funding lines, 1 parties, 1 organizations, 1 pairs" in result.output
    assert "flags: duplicate 1, omitted 1, over_budget 1 (3 new, 0 no longer found)" in result.output
    assert {f.kind for f in flags()} == {FlagKind.DUPLICATE, FlagKind.OVER_BUDGET, FlagKind.OMITTED}


def test_the_demo_shows_the_cell_its_flags(client, sign_in):
    from grants.demo.seed import DEMO_PASSWORD, seed_demo

    seed_demo()
    db.session.commit()
    assert {f.kind for f in flags()} == {FlagKind.DUPLICATE, FlagKind.OVER_BUDGET, FlagKind.OMITTED}
    linked = db.session.scalars(select(ExternalFunding).where(ExternalFunding.organization_id.is_not(None)))
    assert linked.first() is not None
    flag = next(f for f in flags(FlagKind.DUPLICATE) if f.request_id)
    officer = db.session.scalars(select(User).filter_by(email="agente.msi@demo.example.org")).one()
    sign_in(officer, DEMO_PASSWORD)
    html = client.get(f"/analyse/{flag.request_id}").get_data(as_text=True)
    assert "Signalements de la cellule de coordination" in html
