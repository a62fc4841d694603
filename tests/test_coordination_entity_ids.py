"""A matched organization keeps its id from one matching run to the next (issue 11): the same data
gives the same groups under the same ids, a split leaves the id to one part, and the page of a
group merged away says so and points to the group its members are in now — in French and English —
while a form posted against it changes nothing."""

from __future__ import annotations

from html import unescape

from sqlalchemy import func, select

from grants.coordination.group_ids import inherit
from grants.coordination.matching_run import refresh_matching
from grants.coordination.models import (
    EntityDecision,
    EntityMember,
    ExternalFunding,
    MatchedEntity,
    RetiredEntityParty,
)
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import StaffRole
from tests.factories import OrganizationFactory, external_funding, member, staff
from tests.helpers import csrf_token, normalize_spaces
from tests.page_scan import english_leftovers, french_leftovers, offences, structure_problems

NEQ = "1143218765"
LAVAL = {"recipient_city": "Laval", "recipient_region": "13"}


def run():  # type: ignore[no-untyped-def]
    summary = refresh_matching()
    db.session.commit()
    db.session.expire_all()
    return summary


def groups_by_key() -> dict[str, int]:
    return dict(db.session.execute(select(EntityMember.party_key, EntityMember.entity_id)).all())


def entity_of(key: str) -> MatchedEntity:
    return db.session.get(MatchedEntity, groups_by_key()[key])


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return normalize_spaces(unescape(response.get_data(as_text=True)))


# -- the rule ----------------------------------------------------------------------------------------
def test_each_new_group_takes_the_id_it_shares_most_members_with_one_id_at_most_once():
    previous = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    # group 1 split in two ({a, b} keeps it), 2 and 3 merged (the older id wins the tie), f is new
    assert inherit([["c"], ["a", "b"], ["d", "e"], ["f"]], previous) == [None, 1, 2, None]
    # a tie between two equal parts goes to the part whose first key sorts first, in any order
    assert inherit([["y", "z"], ["w", "x"]], {"w": 5, "x": 5, "y": 5, "z": 5}) == [None, 5]
    assert inherit([["w", "x"], ["y", "z"]], {"w": 5, "x": 5, "y": 5, "z": 5}) == [5, None]
    # the smaller part wins a tie in shared members: it is the purer descendant
    assert inherit([["a", "n1", "n2"], ["b"]], {"a": 7, "b": 7}) == [None, 7]


# -- runs --------------------------------------------------------------------------------------------------
def test_the_same_data_run_twice_keeps_every_group_and_member_row():
    ours = OrganizationFactory(legal_name="Maison La Passerelle", neq=NEQ, city="Longueuil", region_code="16")
    external_funding("A-1", "La Passerelle inc.", recipient_neq=NEQ, recipient_city="Longueuil")
    external_funding("A-2", "PASSERELLE (LA)", recipient_neq=NEQ, recipient_city="Saint-Hubert")
    external_funding("B-1", "Centre de femmes La Source", **LAVAL)
    external_funding("B-2", "Centre des femmes La Source inc.", **LAVAL)
    external_funding("C-1", "Maison Simonne-Monet", **LAVAL)
    first = run()
    assert (first.groups_kept, first.groups_new, first.groups_retired) == (0, 3, 0)
    ids = groups_by_key()
    rows = dict(db.session.execute(select(EntityMember.party_key, EntityMember.id)).all())
    assert ids[f"org:{ours.id}"] == ids["ext:MSSS:A-1"] == ids["ext:MSSS:A-2"]
    assert ids["ext:MSSS:B-1"] == ids["ext:MSSS:B-2"] != ids["ext:MSSS:C-1"]

    again = run()
    assert (again.groups_kept, again.groups_new, again.groups_retired) == (3, 0, 0)
    assert groups_by_key() == ids
    # members updated in place, not deleted and inserted again
    assert dict(db.session.execute(select(EntityMember.party_key, EntityMember.id)).all()) == rows
    assert db.session.scalar(select(func.count()).select_from(MatchedEntity)) == 3
    assert entity_of("ext:MSSS:A-1").label == "Maison La Passerelle"
    organization_of = select(ExternalFunding.record_id, ExternalFunding.organization_id)
    assert dict(db.session.execute(organization_of.where(ExternalFunding.record_id.like("A-%"))).all()) == {
        "A-1": ours.id,
        "A-2": ours.id,
    }
    # a line that leaves our organization's group is no longer tied to it; the others stay
    db.session.execute(
        ExternalFunding.__table__.update()
        .where(ExternalFunding.record_id == "A-2")
        .values(recipient_neq="2222222222")
    )
    db.session.commit()
    run()
    assert groups_by_key()["ext:MSSS:A-1"] == ids["ext:MSSS:A-1"]
    assert dict(db.session.execute(organization_of.where(ExternalFunding.record_id.like("A-%"))).all()) == {
        "A-1": ours.id,
        "A-2": None,
    }


def test_a_split_keeps_the_id_on_one_part_and_the_other_gets_a_new_one(client, sign_in):
    external_funding("S-1", "Centre de femmes L'Écho", **LAVAL)
    external_funding("S-2", "Centre de femmes L'Écho", **LAVAL)
    external_funding("S-3", "Centre de femmes L'Éco", **LAVAL)
    run()
    group = entity_of("ext:MSSS:S-1")
    assert entity_of("ext:MSSS:S-3").id == group.id and group.member_count == 3
    sign_in(staff(StaffRole.COORDINATION_CELL))
    token = csrf_token(client, f"/cellule/organismes/{group.id}")
    apart = db.session.scalars(select(EntityMember).filter_by(party_key="ext:MSSS:S-3")).one()
    split = client.post(
        f"/cellule/organismes/{group.id}/separer",
        data={"csrf_token": token, "split-members": [apart.id], "split-comment": "Deux centres."},
    )
    assert split.status_code == 303
    run()  # (a worker, when one runs, may have run it first: the state is the same)
    kept, new = entity_of("ext:MSSS:S-1"), entity_of("ext:MSSS:S-3")
    assert kept.id == group.id and kept.member_count == 2
    assert new.id != group.id and new.id > group.id
    assert db.session.scalar(select(func.count()).where(MatchedEntity.retired_at.is_not(None))) == 0
    # a page opened before the run still names the same group
    assert client.get(f"/cellule/organismes/{group.id}").status_code == 200


def merged_case(client, sign_in):  # type: ignore[no-untyped-def]
    """Two groups the names kept apart, joined by the cell: the older id stays, the other retires."""
    external_funding("M-1", "Le Havre des femmes", **LAVAL)
    external_funding("M-2", "Maison Simonne-Monet", **LAVAL)
    run()
    first, second = entity_of("ext:MSSS:M-1"), entity_of("ext:MSSS:M-2")
    sign_in(staff(StaffRole.COORDINATION_CELL))
    token = csrf_token(client, f"/cellule/organismes/{first.id}")
    joined = client.post(
        f"/cellule/organismes/{first.id}/confirmer",
        data={"csrf_token": token, "confirm-other": str(second.id), "confirm-comment": "Ancien nom."},
    )
    assert joined.status_code == 303
    run()
    survivor, retired = sorted((first.id, second.id))
    assert entity_of("ext:MSSS:M-1").id == entity_of("ext:MSSS:M-2").id == survivor
    assert db.session.get(MatchedEntity, retired).retired_at is not None
    assert db.session.get(MatchedEntity, survivor).retired_at is None
    return survivor, retired, token


def test_the_page_of_a_group_merged_away_points_to_its_new_group(client, sign_in):
    survivor, retired, _token = merged_case(client, sign_in)
    survivor_label = db.session.get(MatchedEntity, survivor).label
    page = client.get(f"/cellule/organismes/{retired}")
    assert page.status_code == 410
    html = text_of(page)
    assert f"Le groupe {retired} a changé depuis" in html
    assert "ce numéro ne désigne plus aucun groupe" in html
    assert f'<a href="/cellule/organismes/{survivor}">{survivor_label}</a> (groupe {survivor})' in html
    assert "1 de ses anciens membres" in html and "réunissait 1 enregistrement." in html
    english_page = client.get(f"/cellule/organismes/{retired}?lang=en")
    english = text_of(english_page)
    assert f"Group {retired} has changed since" in english
    assert f'<a href="/cellule/organismes/{survivor}">{survivor_label}</a> (group {survivor})' in english
    assert "1 of its former members" in english
    # the crawl's checks: one h1, the language, Quebec formatting, no word of the other language
    for language, response in (("fr", page), ("en", english_page)):
        assert structure_problems(response.get_data(as_text=True), language) == []
        assert offences(response.get_data(as_text=True), language) == []
    assert english_leftovers(page.get_data(as_text=True)) == []
    assert french_leftovers(english_page.get_data(as_text=True)) == []
    client.get("/?lang=fr")
    # the listing and its CSV name the current groups only
    listing = client.get("/cellule/organismes/").get_data(as_text=True)
    assert f"/cellule/organismes/{survivor}" in listing
    assert f"/cellule/organismes/{retired}" not in listing
    # an id no group ever had is still a bare 404
    assert client.get(f"/cellule/organismes/{retired + 1000}").status_code == 404


def test_a_form_posted_against_a_merged_away_group_acts_on_nothing(client, sign_in):
    survivor, retired, token = merged_case(client, sign_in)
    decisions = db.session.scalar(select(func.count()).select_from(EntityDecision))
    decided = (
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("coordination.entity%"))
    )
    audits = db.session.scalar(decided)
    member_id = db.session.scalars(select(EntityMember.id).filter_by(party_key="ext:MSSS:M-2")).one()
    for language, said in (
        ("fr", "La décision n'a pas été enregistrée"),
        ("en", "The decision was not saved"),
    ):
        client.get(f"/?lang={language}")
        for url, data in (
            (f"/cellule/organismes/{retired}/confirmer", {"confirm-comment": "Pareil."}),
            (f"/cellule/organismes/{retired}/separer", {"split-members": [member_id]}),
        ):
            response = client.post(url, data={"csrf_token": token, **data})
            assert response.status_code == 409, (language, url)
            html = text_of(response)
            assert said in html, (language, url)
            assert f"/cellule/organismes/{survivor}" in html
            if language == "fr":
                assert f"Le groupe {retired} a changé depuis" in html
                assert "aucun groupe n'a été modifié" in html
            else:
                assert f"Group {retired} has changed since" in html
                assert "no group was changed" in html
    # naming the retired group as the one to join is refused too
    client.get("/?lang=fr")
    other = client.post(
        f"/cellule/organismes/{survivor}/confirmer",
        data={"csrf_token": token, "confirm-other": str(retired)},
    )
    assert other.status_code == 422
    assert f"Le groupe {retired} a changé depuis" in text_of(other)
    assert db.session.scalar(select(func.count()).select_from(EntityDecision)) == decisions
    assert db.session.scalar(decided) == audits


def test_a_retired_group_whose_records_are_gone_says_so_and_stays_hidden_from_others(client, sign_in):
    external_funding("W-1", "Maison Simonne-Monet", **LAVAL)
    run()
    gone = entity_of("ext:MSSS:W-1").id
    db.session.execute(ExternalFunding.__table__.delete())
    db.session.commit()
    summary = run()
    assert summary.groups_retired == 1
    assert db.session.scalars(select(RetiredEntityParty.party_key).filter_by(entity_id=gone)).all() == [
        "ext:MSSS:W-1"
    ]
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    assert client.get(f"/cellule/organismes/{gone}").status_code == 404
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(member())
    assert client.get(f"/cellule/organismes/{gone}").status_code == 404
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = client.get(f"/cellule/organismes/{gone}")
    assert page.status_code == 410
    assert "Aucun de ses anciens membres n'est encore dans un groupe" in text_of(page)
    english = text_of(client.get(f"/cellule/organismes/{gone}?lang=en"))
    assert "None of its former members is in a group any more" in english


# -- SQLite, as `make run` uses it ---------------------------------------------------------------------
def test_on_sqlite_ids_stay_and_a_retired_id_is_never_given_again(app, tmp_path):
    from grants.coordination.decisions import decide_parties
    from tests.sqlite_app import make_sqlite_app, restore_celery

    sqlite_app = make_sqlite_app(tmp_path)
    restore_celery(app)
    try:
        with sqlite_app.app_context():
            external_funding("Q-1", "Le Havre des femmes", **LAVAL)
            external_funding("Q-2", "Maison Simonne-Monet", **LAVAL)
            db.session.commit()
            run()
            ids = groups_by_key()
            assert run().groups_kept == 2 and groups_by_key() == ids
            first, second = (
                db.session.scalars(select(EntityMember).filter_by(party_key=key)).all()
                for key in ("ext:MSSS:Q-1", "ext:MSSS:Q-2")
            )
            decide_parties(first, second, same=True, comment="", actor=None)
            db.session.commit()
            assert run().groups_retired == 1
            retired = max(ids.values())  # the higher id retires: here, the highest ever given
            assert groups_by_key() == {"ext:MSSS:Q-1": min(ids.values()), "ext:MSSS:Q-2": min(ids.values())}
            external_funding("Q-3", "Centre de femmes La Source", **LAVAL)
            db.session.commit()
            run()
            assert groups_by_key()["ext:MSSS:Q-3"] > retired
            assert db.session.get(MatchedEntity, retired).retired_at is not None
            db.session.remove()
            db.engine.dispose()
    finally:
        restore_celery(app)
