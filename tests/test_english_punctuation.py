"""English punctuation, dates and plurals (issue 13, item 2): no space before a colon in English,
`April 1, 2026`, `9:30 p.m.` without a doubled period, and counted nouns through ngettext
instead of `exercice(s)`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale

from grants.core.formatting import colon, date_time, long_date

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "grants" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
SOURCES = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt"), *ROOT.glob("grants/**/*.py")]


def _english() -> list[tuple[str, str]]:
    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="en")
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [(ids[0], text) for text in strings if text]
    return found


def test_english_translations_put_no_space_before_a_colon_or_a_question_mark():
    spaced = [(source, text) for source, text in _english() if re.search(r"\s[:;?!](\s|$)", text)]
    assert spaced == []


def test_a_colon_after_a_label_follows_the_language(app):
    assert colon("Total demandé", "fr_CA") == "Total demandé :"
    assert colon("Total requested", "en_CA") == "Total requested:"
    with app.test_request_context(), force_locale("en_CA"):
        rendered = app.jinja_env.from_string('{{ _("Total demandé")|colon }}').render()
    assert rendered == "Total requested:"
    # Templates write a label's colon through the filter, never as French text after the label.
    hard_coded = [str(path) for path in ROOT.glob("templates/**/*.html") if "}} :" in path.read_text()]
    assert hard_coded == []


def test_english_dates_and_times():
    assert long_date(date(2026, 4, 1), "en_CA") == "April 1, 2026"
    assert long_date(date(2026, 4, 1), "fr_CA") == "1er avril 2026"
    moment = datetime(2026, 4, 2, 1, 30, tzinfo=UTC)  # 21 h 30 in Quebec, the evening before
    assert date_time(moment, "en_CA") == "April 1, 2026 at 9:30\u202fp.m."
    assert not any(re.search(r"[ap]\.m\.\.", text) for _, text in _english())


def test_counted_nouns_go_through_ngettext():
    with_s = [
        str(path.relative_to(ROOT))
        for path in SOURCES
        if re.search(r"""_\(\s*["'][^"']*\w\(s\)""", path.read_text(encoding="utf-8"))
    ]
    assert with_s == []
    english = [text for _, text in _english() if "(s)" in text]
    assert english == []


def test_plural_forms_in_both_languages(app):
    from flask_babel import ngettext

    for locale, one, two in (
        ("fr_CA", "sur 1 exercice financier.", "sur 2 exercices financiers."),
        ("en_CA", "over 1 fiscal year.", "over 2 fiscal years."),
    ):
        with app.test_request_context(), force_locale(locale):
            texts = [
                ngettext(
                    "Montant demandé : %(amount)s sur %(num)s exercice financier.",
                    "Montant demandé : %(amount)s sur %(num)s exercices financiers.",
                    n,
                    amount="1",
                )
                for n in (1, 2)
            ]
        assert texts[0].endswith(one) and texts[1].endswith(two), texts
