"""The officer's side: the queue (filters, sort, CSV), the state machine's refusals, refusal
reasons, two officers deciding at once, and the envelope rule with its audited override."""

import csv
import html
import io
import threading
from decimal import Decimal

import pytest

from grants.agreements.models import Agreement
from grants.core.audit import AuditEntry
from grants.core.concurrency import MESSAGE as CONCURRENT_CHANGE
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.roles import StaffRole
from grants.fiscal import FiscalYear
from grants.payments.envelopes import EnvelopeExceeded
from grants.programs.operations import set_envelope
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestEvent, RequestStatus, TransitionRefused, transition
from grants.review import operations
from tests.factories import OrganizationFactory, budget_officer, funding_request, open_call, program, staff
from tests.helpers import csrf_token, normalize_spaces


def _decide(client, request, **fields):
    url = f"/analyse/{request.id}"
    data = {"csrf_token": csrf_token(client, url), "decision-version": str(request.version)} | fields
    return client.post(f"{url}/decision", data=data)


def test_queue_filters_sorts_and_exports(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", "HEBERGEMENT")
    early = funding_request("TNCES", OrganizationFactory(legal_name="Alpha"), status="submitted", years=1)
    late = funding_request("TNCES", OrganizationFactory(legal_name="Zêta"), status="under_review", years=2)
    late.assignee_id = officer.id
    housing = funding_request(
        "HEBERGEMENT",
        OrganizationFactory(legal_name="Maison"),
        status="submitted",
        years=1,
        annual_amount="50000.00",
    )
    funding_request("TNCES", status="draft", years=1, title="Brouillon invisible")
    funding_request("TRCES", status="submitted", years=1, title="Autre programme")
    db.session.commit()
    sign_in(officer)

    page = client.get("/analyse/").get_data(as_text=True)
    assert early.reference in page and late.reference in page and housing.reference in page
    assert "Brouillon invisible" not in page and "Autre programme" not in page

    page = client.get("/analyse/?program=HEBERGEMENT").get_data(as_text=True)
    assert housing.reference in page and early.reference not in page
    page = client.get("/analyse/?assignee=me").get_data(as_text=True)
    assert late.reference in page and early.reference not in page
    page = client.get("/analyse/?status=submitted&program=TNCES").get_data(as_text=True)
    assert early.reference in page and late.reference not in page

    page = client.get("/analyse/?sort=-organization&program=TNCES").get_data(as_text=True)
    assert page.index(late.reference) < page.index(early.reference)
    page = client.get("/analyse/?sort=organization&program=TNCES").get_data(as_text=True)
    assert page.index(early.reference) < page.index(late.reference)

    response = client.get("/analyse/?format=csv&sort=-total")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Numéro"
    assert [r[0] for r in rows[1:]] == [late.reference, early.reference, housing.reference]
    assert normalize_spaces(rows[1][-1]).replace(" ", "") in {"350000.00", "350000,00"}


def test_the_state_machine_refuses_moves_outside_its_table():
    request = funding_request("TNCES", status="submitted", years=1)
    with pytest.raises(TransitionRefused) as refused:
        transition(request, RequestEvent.APPROVE, actor=None)
    assert "Déposée" in refused.value.message or "déposée" in refused.value.message.lower()
    decided = funding_request("TNCES", status="refused", years=1)
    for event in RequestEvent:
        with pytest.raises(TransitionRefused):
            transition(decided, event, actor=None)


def test_approving_straight_from_submitted_is_refused_through_the_page(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="submitted", years=1)
    sign_in(officer)
    response = _decide(
        client, request, **{"decision-decision": "approve", "decision-approved-2026": "175000"}
    )
    assert response.status_code == 409
    assert "accepter la demande : la demande est à l'état « Déposée »" in html.unescape(
        response.get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.SUBMITTED
    assert db.session.scalar(db.select(db.func.count(Agreement.id))) == 0


def test_a_refusal_needs_reasons_and_keeps_them(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="recommended", years=1)
    sign_in(officer)
    response = _decide(client, request, **{"decision-decision": "refuse", "decision-reasons": "  "})
    assert response.status_code == 422
    assert "Donnez les motifs du refus" in response.get_data(as_text=True).replace("&#39;", "'")
    response = _decide(
        client, request, **{"decision-decision": "refuse", "decision-reasons": "Hors du mandat du programme."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert saved.status == RequestStatus.REFUSED and saved.decision_reasons == "Hors du mandat du programme."
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="request.refuse")).scalar_one()
    assert entry.changes["reasons"] == "Hors du mandat du programme."


def test_a_decision_on_a_stale_page_is_refused_and_shows_the_current_state(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="recommended", years=1)
    sign_in(officer)
    url = f"/analyse/{request.id}"
    token = csrf_token(client, url)
    stale_version = request.version
    operations.refuse(request, "Décidé par une collègue.", actor=officer)
    db.session.commit()
    response = client.post(
        f"{url}/decision",
        data={
            "csrf_token": token,
            "decision-version": str(stale_version),
            "decision-decision": "approve",
            "decision-approved-2026": "175000",
        },
    )
    assert response.status_code == 409
    assert str(CONCURRENT_CHANGE) in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.REFUSED
    assert db.session.scalar(db.select(db.func.count(Agreement.id))) == 0


def test_two_officers_deciding_at_once_make_one_decision(app):
    first, second = staff(StaffRole.PROGRAM_OFFICER, "TNCES"), staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="recommended", years=2)
    version, request_id = request.version, request.id
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(officer_id: int, approve: bool) -> None:
        from grants.accounts.models import User

        with app.app_context():
            officer = db.session.get(User, officer_id)
            loaded = db.session.get(FundingRequest, request_id)
            barrier.wait(10)
            try:
                if approve:
                    amounts = {FiscalYear(2026): Decimal("175000"), FiscalYear(2027): Decimal("175000")}
                    operations.approve(loaded, amounts, "", actor=officer, expected_version=version)
                else:
                    operations.refuse(loaded, "Doublon.", actor=officer, expected_version=version)
                db.session.commit()
                outcomes.append("done")
            except (ConcurrentChange, TransitionRefused):
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:
                db.session.rollback()
                outcomes.append(repr(error))

    first_id, second_id = first.id, second.id
    threads = [
        threading.Thread(target=decide, args=(first_id, True), daemon=True),
        threading.Thread(target=decide, args=(second_id, False), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["done", "refused"]
    db.session.expire_all()
    decided = db.session.get(FundingRequest, request.id)
    decisions = db.session.scalar(
        db.select(db.func.count(AuditEntry.id)).where(
            AuditEntry.action.in_(["request.approve", "request.refuse"])
        )
    )
    assert decisions == 1
    agreements = db.session.scalar(db.select(db.func.count(Agreement.id)))
    assert (decided.status, agreements) in {(RequestStatus.APPROVED, 1), (RequestStatus.REFUSED, 0)}


def test_the_envelope_blocks_an_overrun_unless_an_authorized_officer_overrides(app, client, sign_in):
    tnces = program("TNCES")
    set_envelope(tnces, FiscalYear(2026), Decimal("100000"), actor=None)
    db.session.commit()
    request = funding_request("TNCES", status="recommended", years=1)
    plain = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    with pytest.raises(EnvelopeExceeded):
        operations.approve(
            request, {FiscalYear(2026): Decimal("175000")}, "", actor=plain, override_reason="Urgence"
        )
    db.session.rollback()

    sign_in(plain)
    response = _decide(
        client,
        request,
        **{
            "decision-decision": "approve",
            "decision-approved-2026": "175 000",
            "decision-override_reason": "Urgence",
        },
    )
    assert response.status_code == 422
    assert "dépasse l'enveloppe du programme" in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.RECOMMENDED

    authorized = budget_officer("TNCES")
    client = sign_in(authorized, target=app.test_client())
    response = _decide(
        client, request, **{"decision-decision": "approve", "decision-approved-2026": "175 000"}
    )
    assert response.status_code == 422  # no reason given: still refused
    response = _decide(
        client,
        request,
        **{
            "decision-decision": "approve",
            "decision-approved-2026": "175 000",
            "decision-override_reason": "Financement prioritaire du plan",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.APPROVED
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="envelope.overridden")).scalar_one()
    assert entry.changes["reason"] == "Financement prioritaire du plan"
    assert entry.actor_id == authorized.id


def test_approved_amounts_may_differ_from_the_asked_ones_and_respect_the_maximum(client, sign_in):
    request = funding_request("TNCES", status="recommended", years=2)
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    response = _decide(
        client,
        request,
        **{
            "decision-decision": "approve",
            "decision-approved-2026": "200 000",
            "decision-approved-2027": "150 000",
        },
    )
    assert response.status_code == 422
    assert "dépasse le maximum annuel" in response.get_data(as_text=True)
    response = _decide(
        client,
        request,
        **{
            "decision-decision": "approve",
            "decision-approved-2026": "175 000",
            "decision-approved-2027": "150 000,50",
            "decision-conditions": "Rapport",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    agreement = db.session.execute(db.select(Agreement)).scalar_one()
    assert {str(y.fiscal_year): y.amount for y in agreement.years} == {
        "2026-2027": Decimal("175000.00"),
        "2027-2028": Decimal("150000.50"),
    }


def test_queue_filters_by_region_nation_and_fiscal_year(client, sign_in):
    from grants.reference.models import Nation, Region

    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    montreal = funding_request("TNCES", status="submitted", years=1, first_year=2026, title="Montréal")
    montreal.regions = [db.session.get(Region, "06")]
    innu = funding_request("TNCES", status="submitted", years=2, first_year=2027, title="Innu")
    innu.nations = [db.session.get(Nation, "innus")]
    db.session.commit()
    sign_in(officer)

    page = client.get("/analyse/?region=06").get_data(as_text=True)
    assert montreal.reference in page and innu.reference not in page
    page = client.get("/analyse/?nation=innus").get_data(as_text=True)
    assert innu.reference in page and montreal.reference not in page
    # A request spanning 2027-2028 and 2028-2029 is found by either year.
    page = client.get("/analyse/?fiscal_year=2028-2029").get_data(as_text=True)
    assert innu.reference in page and montreal.reference not in page
    page = client.get("/analyse/?fiscal_year=2026-2027").get_data(as_text=True)
    assert montreal.reference in page and innu.reference not in page


def test_the_grid_saves_scores_gives_the_weighted_result_and_refuses_out_of_range(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="under_review", years=1)
    request.assignee_id = officer.id
    db.session.commit()
    criteria = operations.criteria_of(request.program_id)
    assert [c.weight for c in criteria] == [Decimal("30"), Decimal("25"), Decimal("25"), Decimal("20")]
    sign_in(officer)
    url = f"/analyse/{request.id}"

    bad = {"csrf_token": csrf_token(client, url), f"grid-{criteria[0].id}-score": "9"}
    response = client.post(f"{url}/grille", data=bad)
    assert response.status_code == 422
    assert "Note entre 0 et 5" in response.get_data(as_text=True)
    assert not operations.scores_of(request.id)

    scores = {criteria[0].id: "5", criteria[1].id: "4", criteria[2].id: "3", criteria[3].id: "5"}
    data = {"csrf_token": csrf_token(client, url)} | {f"grid-{k}-score": v for k, v in scores.items()}
    data[f"grid-{criteria[2].id}-comment"] = "Budget de déplacement à justifier."
    response = client.post(f"{url}/grille", data=data)
    assert response.status_code == 302
    # 30·5/5 + 25·4/5 + 25·3/5 + 20·5/5 = 30 + 20 + 15 + 20 = 85
    page = normalize_spaces(client.get(url).get_data(as_text=True))
    assert "Résultat pondéré :</strong> 85 / 100" in page
    saved = operations.scores_of(request.id)
    assert saved[criteria[2].id].comment == "Budget de déplacement à justifier."
    audit = db.session.scalars(db.select(AuditEntry).filter_by(action="request.scored")).all()
    assert len(audit) == 1

    # Another panel's refused form shows its error; the grid still shows what is saved.
    refused = client.post(f"{url}/recommandation", data={"csrf_token": csrf_token(client, url)})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "Choisissez une recommandation." in page
    assert f'name="grid-{criteria[2].id}-score" type="number" value="3"' in page


def test_the_coordination_cell_reads_every_program_queue_and_file_without_acting(client, sign_in):
    """Issue 9: which programs a list shows is one rule (grants.core.permissions.visible_program_ids);
    the coordination cell reads across programs, with no action button or form."""
    tnces = funding_request("TNCES", status="submitted", years=1, title="Table nationale")
    housing = funding_request(
        "HEBERGEMENT", status="recommended", years=1, annual_amount="50000.00", title="Hébergement"
    )
    funding_request("TRCES", status="draft", years=1, title="Brouillon de table")
    call = open_call("HEBERGEMENT", title_fr="Appel hébergement 2026")
    sign_in(staff(StaffRole.COORDINATION_CELL))

    calls = client.get("/appels/").get_data(as_text=True)
    assert f'href="/appels/{call.id}"' in calls and "Nouvel appel" not in calls
    assert "Modifier l'appel" not in client.get(f"/appels/{call.id}").get_data(as_text=True)

    queue = client.get("/analyse/").get_data(as_text=True)
    assert tnces.reference in queue and housing.reference in queue
    assert "Brouillon de table" not in queue
    for request in (tnces, housing):
        response = client.get(f"/analyse/{request.id}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert request.reference in page and "Historique" in page
        assert f'action="/analyse/{request.id}/' not in page  # no form posts to an action
        assert "Confier" not in page and "Enregistrer la décision" not in page
    token = csrf_token(client, "/analyse/")
    for action in ("assigner", "grille", "information", "recommandation", "rouvrir", "decision"):
        assert client.post(f"/analyse/{housing.id}/{action}", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(FundingRequest, housing.id).status == RequestStatus.RECOMMENDED
