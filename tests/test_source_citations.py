"""Program pages cite their sources by the documents' titles, never by the seeds' internal file
names (`001_3b1152a0d5e5e594.txt — section 2.4`, issue 13 item 16)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from grants.core.db import db
from grants.core.roles import StaffRole
from grants.programs.models import Program
from grants.reference.models import ActionPlan
from tests.factories import staff

SEED_FILE = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b|\.txt\b")
PLAN_TITLE = "Plan d'action gouvernemental 2026-2029 en réponse aux recommandations"
BRIEF_TITLE = "Mémoire de la Coalition québécoise contre la traite des personnes (CQCTP)"


def test_no_stored_source_names_a_seed_file():
    sources = [p.source for p in db.session.scalars(db.select(Program))]
    sources += [p.source or "" for p in db.session.scalars(db.select(ActionPlan))]
    assert sources and all(source for source in sources)
    assert [source for source in sources if SEED_FILE.search(source)] == []


def test_no_program_page_shows_a_source_file_name(client, sign_in):
    sign_in(staff(StaffRole.COORDINATION_CELL))
    codes = list(db.session.scalars(db.select(Program.code).order_by(Program.code)))
    assert len(codes) == 5
    pages = ["/programmes/", *(f"/programmes/{code}" for code in codes)]
    pages += ["/reference/plans", "/reference/plans/2026-2029", "/reference/plans/2021-2026"]
    pages += ["/reference/plans/2026-2029/mesures/19", "/reference/recommandations"]
    for language in ("fr", "en"):
        for url in pages:
            response = client.get(f"{url}?lang={language}")
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            assert not SEED_FILE.search(page), (url, language, SEED_FILE.search(page))
    page = client.get("/programmes/HEBERGEMENT").get_data(as_text=True).replace("&#39;", "'")
    assert f"{PLAN_TITLE}" in page and "section 2.4" in page
    page = client.get("/programmes/TNCES").get_data(as_text=True).replace("&#39;", "'")
    assert BRIEF_TITLE in page and "recommandation 1" in page


def migration_0008():
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0009_pdflang.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migration_rewrites_old_sources_as_the_seeds_now_write_them():
    """Databases seeded before: migration 0008 rewrites their stored sources to what the reference
    data now says."""
    old = (
        "000_a592ac76b12244bd.txt — §3.1 « La Table nationale de concertation en matière "
        "d'exploitation sexuelle », recommandation 1 ; 001_3b1152a0d5e5e594.txt — section 2.2 "
        "« Favoriser la concertation », mesure n° 10"
    )
    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    assert migration_0008().cited(old) == tnces.source
