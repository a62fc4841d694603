"""What a page must look like to a person, read from its HTML (issue 13, items 1 and 6): Quebec
formatting (no raw ISO date, no percent or digit group split by an ordinary space), and in English
no French left outside the elements marked `lang="fr"` (reference data). Shared by the page
formatting test and the crawl of the whole site."""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "grants/translations/en/LC_MESSAGES/messages.po"

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PERCENT = re.compile(r"\d %")
SPLIT_AMOUNT = re.compile(r"\d \d{3}(?:[ ,.]\d{3})*(?:,\d{2})? ?\$|\$\d{1,3} \d{3}")


def visible_text(page: str) -> str:
    """What a person reads: no tags (so no attribute: input values, `<time datetime>`, URLs), no
    scripts or styles, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


# Not for a person's eyes, in either language: a plural written `exercice(s)` instead of through
# ngettext, and Python values printed raw.
PLURAL_IN_PARENTHESES = re.compile(r"\w\((?:s|es|x)\)")
RAW_VALUE = re.compile(r"\b(?:True|False)\b|\{'|\['")
RAW_NONE = re.compile(r"\bNone\b")  # an English word, but never a French one


def offences(page: str, language: str = "fr") -> list[str]:
    """Every place the page breaks the Quebec formatting rules, with some context."""
    text = visible_text(page)
    found = []
    patterns = [ISO_DATE, PERCENT, SPLIT_AMOUNT, PLURAL_IN_PARENTHESES, RAW_VALUE]
    for pattern in patterns + ([RAW_NONE] if language == "fr" else []):
        for match in pattern.finditer(text):
            found.append(text[max(0, match.start() - 40) : match.end() + 20].replace("\n", " "))
    return found


# -- French left in the English interface ------------------------------------------------------------
# Interface words and phrases of the French catalogue that an English page must not show (outside
# `lang="fr"` elements): pagination, exports, buttons, the budget block, units, statuses.
FRENCH_PHRASES = [
    "Exporter en CSV",
    "Suivant",
    "Précédent",
    "Enregistrer",
    "Déposer",
    "Exercice",
    "Total demandé",
    "Période non précisée",
    "Ko",
    "Mo",
    "AAAA-MM-JJ",
    "Télécharger",
    "Rechercher",
    "Filtrer",
    "Annuler",
    "Modifier",
    "Retour",
    "Aucun",
    "Aucune",
    "Brouillon",
    "En analyse",
    "Déposée",
    "Acceptée",
    "Refusée",
    "À faire",
    "En rédaction",
    "Montant",
    "Échéance",
    "Versement",
    "Versements",
    "Moyenne",
    "Taux",
    "Années",
    "Accepter",
    "Refuser",
    "Obtenu",
    "Demandé",
    "Prévu",
    "Autorisé",
    "Versé",
    "Retenu",
    "Organismes",
    "Redditions de comptes",
    "Appels",
    "Courriels envoyés",
    "Journal",
    "Tous",
    "Toutes",
    "Oui",
    "Non",
    "exercice\\(s\\)",
]
FRENCH_WORDS = re.compile(r"(?<![\w-])(" + "|".join(FRENCH_PHRASES) + r")(?![\w-])")
FRENCH_DATE = re.compile(
    r"\b\d{1,2}(?:er)?\s(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre)\s\d{4}\b"
)
FRENCH_MONEY = re.compile(r"\d,\d{2}\s?\$|\d[\s\u00a0\u202f]\$")
SPACE_BEFORE_COLON = re.compile(r"\w[ \u00a0\u202f]:(?:\s|$)")
SPACE_BEFORE_SEMICOLON = re.compile(r"[\w%)][ \u00a0\u202f];(?:\s|$)")
DOUBLED_PERIOD = re.compile(r"[ap]\.m\.\.")
# English dates read `April 1, 2026`: never the day first, never `1er`.
DAY_FIRST = re.compile(
    r"\b\d{1,2}(?:er)? (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}\b|\b1er\b"
)
ENGLISH_RULES = (
    ("doubled period", DOUBLED_PERIOD),
    ("day before the month", DAY_FIRST),
    ("French word", FRENCH_WORDS),
    ("French date", FRENCH_DATE),
    ("French amount", FRENCH_MONEY),
    ("space before a colon", SPACE_BEFORE_COLON),
    ("space before a semicolon", SPACE_BEFORE_SEMICOLON),
)

_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
}  # fmt: skip


class _LanguageText(HTMLParser):
    """The visible text of a page outside the elements whose `lang` is `exempt` (French reference
    data in an English page, the English name of the other language in a French one)."""

    def __init__(self, exempt: str = "fr") -> None:
        super().__init__(convert_charrefs=True)
        self.exempt = exempt
        self.stack: list[tuple[str, bool]] = []  # (tag, inside French)
        self.parts: list[str] = []
        self.nodes: list[str] = []  # each text node, spaces folded
        self.attributes: list[str] = []  # placeholders, titles, accessible names, button values

    def _french(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang")
        french = lang.lower().startswith(self.exempt) if lang else self._french()
        if not french:  # what a person reads or hears from the attributes
            for name in ("placeholder", "title", "aria-label", "alt"):
                if values.get(name):
                    self.attributes.append(" ".join((values[name] or "").split()))
            if tag == "input" and (values.get("type") or "") in ("submit", "button") and values.get("value"):
                self.attributes.append(" ".join((values["value"] or "").split()))
        if tag in _VOID:
            return
        self.stack.append((tag, french))
        self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if any(tag in {"script", "style", "template"} for tag, _ in self.stack) or self._french():
            return
        self.parts.append(data)
        self.nodes.append(" ".join(data.split()))


def _outside(page: str, exempt: str = "fr") -> _LanguageText:
    parser = _LanguageText(exempt)
    parser.feed(page)
    parser.close()
    return parser


@functools.cache
def french_messages() -> frozenset[str]:
    """The French source strings of the catalogue that English translates differently (whole
    phrases without placeholders): a text node equal to one of them is French left untranslated."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    return frozenset(
        m.id
        for m in catalogue
        if isinstance(m.id, str) and m.string and m.string != m.id and "%" not in m.id and len(m.id) > 2
    )


@functools.cache
def english_messages() -> frozenset[str]:
    """The English translations that are no French source string (whole phrases without
    placeholders): a text node equal to one of them in a French page is English."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    french = {m.id for m in catalogue if isinstance(m.id, str)}
    return frozenset(
        m.string
        for m in catalogue
        if isinstance(m.string, str)
        and m.string
        and m.string not in french
        and "%" not in m.string
        and len(m.string) > 2
    )


# English words a French page must not show outside `lang="en"` elements: field names printed as
# their code (`Activities`, `Salaries`, `Gender woman`), raw values, English labels.
ENGLISH_WORDS = re.compile(
    r"\b(Activities|Results|Salaries|Operating|Travel|Rent|Training|Other|Counts|Resubmission|Grants|"
    r"Indexed|Excluded|Rate|Reasons|Comments|Gender|Age group|Indigenous identity|Region \d\d|Method|"
    r"Period|Floored|Inputs|Label|Average|None|True|False|Yes|No|Export|Next|Previous)\b"
)


def english_leftovers(page: str) -> list[str]:
    """In a French page, every text node outside `lang="en"` elements that is an English message
    of the catalogue (a label stored in the language of whoever created it, a string rendered
    under the wrong locale), and every English word of the list above, with some context."""
    parser = _outside(page, "en")
    messages = english_messages()
    found = [f"English message: {node}" for node in parser.nodes if node in messages]
    text = "".join(parser.parts)
    for match in ENGLISH_WORDS.finditer(text):
        context = text[max(0, match.start() - 30) : match.end() + 20]
        found.append(f"English word: {' '.join(context.split())}")
    return found


def french_leftovers(page: str) -> list[str]:
    """In an English page, every French interface word, French date or amount, space before a
    colon, and whole French catalogue message found outside `lang="fr"` elements, with some context."""
    parser = _outside(page)
    text = "".join(parser.parts)
    messages = french_messages()
    found = [f"French message: {node}" for node in parser.nodes if node in messages]
    for value in parser.attributes:
        if value in messages or FRENCH_WORDS.search(value) or "AAAA" in value:
            found.append(f"French attribute: {value}")
    # The product's name stays « Subventions » in English (the brand); anywhere else it means grants.
    if parser.nodes.count("Subventions") > 1:
        found.append("French word: Subventions (grants) outside the product's name")
    for name, pattern in ENGLISH_RULES:
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 30) : match.end() + 20]
            found.append(f"{name}: {' '.join(context.split())}")
    return found


# -- structure: one h1, labelled fields ----------------------------------------------------------------
class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1 = 0
        self.html_lang: str | None = None
        self.fields: list[tuple[str, dict[str, str | None], bool]] = []  # (tag, attrs, inside a label)
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.ids: list[str] = []
        self.references: list[str] = []  # (what refers) -> the id it needs

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        for name in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for target in (values.get(name) or "").split():
                self.references.append(f"{name}={target}")
        if values.get("for") and tag in ("label", "output"):
            self.references.append(f"for={values['for']}")
        href = values.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.references.append(f"href={href}")
        if tag == "html":
            self.html_lang = values.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.label_depth += 1
            if values.get("for"):
                self.label_for.add(values["for"] or "")
        elif tag in {"input", "select", "textarea"}:
            kind = (values.get("type") or "text").lower()
            if tag != "input" or kind not in {"hidden", "submit", "button", "reset", "image"}:
                self.fields.append((tag, values, self.label_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.label_depth:
            self.label_depth -= 1


def structure_problems(page: str, language: str) -> list[str]:
    """`<html lang>` is the page's language, one h1, every field has a label (a `<label for>`,
    an enclosing `<label>`, `aria-label` or `aria-labelledby`), ids are unique, and every in-page
    link, `for` and `aria-*` reference reaches an element of the page."""
    parser = _Structure()
    parser.feed(page)
    parser.close()
    problems = []
    if not (parser.html_lang or "").startswith(language):
        problems.append(f"<html lang={parser.html_lang!r}>, not {language}")
    if parser.h1 != 1:
        problems.append(f"{parser.h1} h1")
    ids = set(parser.ids)
    duplicates = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    if duplicates:
        problems.append(f"ids used twice: {', '.join(duplicates)}")
    for reference in parser.references:
        if reference.split("=", 1)[1].lstrip("#") not in ids:
            problems.append(f"{reference} points to no element of the page")
    for tag, attrs, wrapped in parser.fields:
        labelled = (
            wrapped
            or (attrs.get("id") and attrs["id"] in parser.label_for)
            or attrs.get("aria-label")
            or attrs.get("aria-labelledby")
        )
        if not labelled:
            problems.append(f"<{tag} name={attrs.get('name')!r} id={attrs.get('id')!r}> has no label")
    return problems
