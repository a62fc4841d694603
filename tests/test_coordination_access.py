"""The coordination cell's pages are the cell's and the administrators' only (issue 11): an
officer or an organization member gets 404 on every one of them, the menu shows the entry only to
those who may follow it."""

import pytest
from flask import current_app

from grants.core.roles import StaffRole
from tests.factories import member, staff


def _cell_paths() -> list[str]:
    """Every GET page of the blueprint that takes no parameter, plus one with a made-up id."""
    paths = []
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("coordination.") and "GET" in rule.methods:
            paths.append(rule.rule if not rule.arguments else rule.build({a: 1 for a in rule.arguments})[1])
    assert "/cellule/" in paths
    return paths


@pytest.mark.parametrize("who", ["officer", "member"])
def test_anyone_but_the_cell_gets_404_everywhere(client, sign_in, who):
    user = staff(StaffRole.PROGRAM_OFFICER, "TNCES") if who == "officer" else member()
    sign_in(user)
    for path in _cell_paths():
        assert client.get(path).status_code == 404, path
    assert "/cellule/" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [StaffRole.COORDINATION_CELL, StaffRole.SYSTEM_ADMIN])
def test_the_cell_and_administrators_reach_its_home(client, sign_in, role):
    sign_in(staff(role))
    page = client.get("/cellule/")
    assert page.status_code == 200
    assert "Cellule de coordination" in page.get_data(as_text=True)
    assert 'href="/cellule/"' in client.get("/").get_data(as_text=True)
