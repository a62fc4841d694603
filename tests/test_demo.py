"""The demo data set `make run` loads: every role finds something to act on."""

from grants.calls.operations import open_calls
from grants.core.db import db
from grants.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus


def test_demo_seed_opens_calls_and_starts_a_draft(client):
    assert [a.email for a in seed_demo()] == [a.email for a in DEMO_ACCOUNTS]
    db.session.commit()
    assert {c.program.code for c in open_calls()} == {"PQLC", "TNCES", "TRCES", "HEBERGEMENT"}
    draft = db.session.execute(db.select(FundingRequest).filter_by(status=RequestStatus.DRAFT)).scalar_one()
    assert draft.program.code == "HEBERGEMENT"
    seed_demo()  # a second run changes nothing
    assert db.session.scalar(db.select(db.func.count(FundingRequest.id))) == 2
    # The TNCES agreement in force since 2025-2026 can be indexed for 2026-2027 (2025: +2.4 %).
    from decimal import Decimal

    from grants.fiscal import FiscalYear
    from grants.indexation.operations import preview
    from grants.programs.models import Program

    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    rate, (line,) = preview(tnces, FiscalYear(2026))
    assert (rate.percent, line.new_amount) == (Decimal("2.4"), Decimal("179200.00"))
    from tests.helpers import csrf_token

    token = csrf_token(client, "/compte/connexion")
    response = client.post(
        "/compte/connexion",
        data={"email": "direction@passerelle.example.org", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert draft.reference in client.get("/demandes/").get_data(as_text=True)
