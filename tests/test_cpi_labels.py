"""The CPI figures a rate came from are stored language-neutral (a kind and a period) and said in
the reader's language when shown: « Moyenne 2026 » in French, "Average 2026" in English, whoever
created the run (issue 13, item 1: `Moyenne 2025` stored in the creator's language)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from flask_babel import force_locale

from grants.core.db import db
from grants.cpi.rates import InputKind, RateInput, input_label
from grants.indexation import operations
from grants.indexation.models import IndexationRun
from tests.factories import agreement_in_force, budget_officer
from tests.helpers import normalize_spaces
from tests.test_indexation import Y2027, _tnces, future_cpi  # noqa: F401 (a fixture)
from tests.test_source_citations import migration_0008


def test_each_kind_of_input_is_said_in_the_language_being_rendered(app):
    cases = [
        ({"kind": "annual-average", "first": "2025", "value": "161.0"}, "Moyenne 2025", "Average 2025"),
        (
            {"kind": "average", "first": "2024-10", "last": "2025-09", "value": "160.1"},
            "Moyenne octobre 2024 à septembre 2025",
            "Average October 2024 to September 2025",
        ),
        ({"kind": "month", "first": "2025-09", "value": "165.2"}, "septembre 2025", "September 2025"),
        (
            {"kind": "fixed", "first": "2027-03-01", "value": "2.1"},
            "Taux fixé le 1er mars 2027",
            "Rate set on",
        ),
    ]
    for stored, french, english in cases:
        with force_locale("fr_CA"):
            assert normalize_spaces(input_label(stored)) == french
        with force_locale("en_CA"):
            assert normalize_spaces(input_label(stored)).startswith(english)
    # A run stored before inputs were language-neutral shows its stored label.
    assert input_label({"label": "Moyenne 2025", "value": "161.0"}) == "Moyenne 2025"
    # The dataclass says the same and stores no sentence.
    figure = RateInput(InputKind.ANNUAL_AVERAGE, "2025", Decimal("161.0"))
    assert figure.as_dict() == {"kind": "annual-average", "first": "2025", "value": "161.0"}
    with force_locale("en_CA"):
        assert figure.label == "Average 2025"


def test_a_run_created_in_french_reads_in_english_and_stores_no_sentence(client, sign_in, future_cpi):  # noqa: F811
    agreement_in_force(years=2)
    officer = budget_officer("TNCES", preferred_language="fr")
    run = operations.create_run(_tnces(), Y2027, actor=officer)
    db.session.commit()
    stored = json.dumps(db.session.get(IndexationRun, run.id).rate, ensure_ascii=False)
    assert "Moyenne" not in stored and "Average" not in stored and '"label"' not in stored
    assert run.rate["inputs"][1] == {"kind": "annual-average", "first": "2026", "value": "166.0"}

    sign_in(officer)
    french = normalize_spaces(client.get(f"/indexation/executions/{run.id}?lang=fr").get_data(as_text=True))
    assert "Moyenne 2025" in french and "Moyenne 2026" in french and "Average" not in french
    english = normalize_spaces(client.get(f"/indexation/executions/{run.id}?lang=en").get_data(as_text=True))
    assert "Average 2025" in english and "Average 2026" in english and "Moyenne" not in english
    preview = client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028&lang=en")
    assert "Average 2026" in preview.get_data(as_text=True)

    # The audit trail says the figures in the reader's language too.
    journal = normalize_spaces(client.get("/journal/?lang=en").get_data(as_text=True))
    assert "Average 2026: 166.0" in journal, journal


def test_the_migration_reads_stored_sentences_back_as_kinds():
    neutral = migration_0008().neutral_input
    assert neutral({"label": "Moyenne 2025", "value": "161.0"}) == {
        "kind": "annual-average",
        "first": "2025",
        "value": "161.0",
    }
    assert neutral({"label": "Average 2024-10 to 2025-09", "value": "160.1"}) == {
        "kind": "average",
        "first": "2024-10",
        "last": "2025-09",
        "value": "160.1",
    }
    assert neutral({"label": "Moyenne 2024-10 à 2025-09", "value": "1"})["kind"] == "average"
    assert neutral({"label": "2025-09", "value": "165.2"}) == {
        "kind": "month",
        "first": "2025-09",
        "value": "165.2",
    }
    assert neutral({"label": "Taux fixé le 1er mars 2027", "value": "2.1"}) == {
        "kind": "fixed",
        "first": date(2027, 3, 1).isoformat(),
        "value": "2.1",
    }
    assert neutral({"label": "Rate set on March 12, 2027", "value": "2.1"})["first"] == "2027-03-12"
    # Unknown sentences and inputs already neutral are left as they are.
    assert neutral({"label": "Autre chose", "value": "1"}) == {"label": "Autre chose", "value": "1"}
    assert neutral({"kind": "month", "first": "2025-09", "value": "1"}) == {
        "kind": "month",
        "first": "2025-09",
        "value": "1",
    }
