"""The whole site, crawled as each role in French and in English (issue 13, items 1 and 6).

Starting from the home page on a data set with requests in several states, agreements in force
with paid, authorized and held installments, reports to do, submitted and reopened, an applied
indexation run and the CPI series, the crawler follows every same-site GET link (sign-out and the
language switch are forms, so never followed) within a page budget, and checks every answer:
no error status, and on every HTML page `<html lang>`, one h1, a label for every field, the Quebec
formatting scan, and in English no French interface word outside `lang="fr"` elements.
Downloads (PDF, CSV) must answer 200 and are not parsed."""

from __future__ import annotations

import html
import re
import time
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from grants.core.roles import StaffRole
from tests.helpers import csrf_token
from tests.page_scan import english_leftovers, french_leftovers, offences, structure_problems
from tests.site_data import build_site

LANGUAGES = ("fr", "en")
# Pages per role and language; the whole crawl stays well under a minute.
PAGE_BUDGET = 220
# URLs of the same shape (ids become N, the query keeps only its keys but sort and page): at most
# this many each.
PER_SHAPE = 3
# Links never followed: the static files, and the job page of a task nobody started.
SKIP = re.compile(r"^/static/")

# Known defects left to other changes, each skipped narrowly: (path pattern, rule, what is found).
# Empty: the CPI labels (`Moyenne 2025` in English) were the last, fixed by storing them neutral.
EXCLUSIONS: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = []


# Query keys that change the order or the page of a list, not what the page is made of.
ORDER_KEYS = {"sort", "page"}


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)} - ORDER_KEYS)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


_HREF = re.compile(r"""<a\b[^>]*?\shref=("[^"]*"|'[^']*')""", re.S)


def _links(page: str, base: str) -> list[str]:
    """Every same-site link of the page, as a path with its query (the `lang` parameter dropped:
    the crawl stays in its language)."""
    found = []
    for raw in _HREF.findall(page):
        href = html.unescape(raw[1:-1]).strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        parts = urlsplit(href)
        if parts.scheme and parts.netloc and parts.netloc != "localhost":
            continue
        path = parts.path or urlsplit(base).path
        if not path.startswith("/"):
            path = urlsplit(base).path.rsplit("/", 1)[0] + "/" + path
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
        found.append(path + ("?" + urlencode(query) if query else ""))
    return found


class _GetForms(HTMLParser):
    """Each GET form of a page (filters, the indexation preview) as the URL its defaults send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, options, selected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            if values.get("method", "get").lower() == "get":
                self.current = []
                self.forms.append((values.get("action", ""), self.current))
            return
        if self.current is None or "name" not in values:
            if tag == "option" and self.select is not None:
                self.select[1].append(values.get("value", ""))
                if "selected" in values:
                    self.select[2].append(values.get("value", ""))
            return
        kind = values.get("type", "text").lower()
        if tag == "input" and kind not in {"submit", "button", "image", "reset", "file"}:
            if kind not in {"checkbox", "radio"} or "checked" in values:
                self.current.append((values["name"], values.get("value", "")))
        elif tag == "select":
            self.select = (values["name"], [], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None and self.current is not None:
            name, options, selected = self.select
            if selected or options:
                self.current.append((name, (selected or options)[0]))
            self.select = None


def _form_links(page: str, base: str) -> list[str]:
    parser = _GetForms()
    parser.feed(page)
    parser.close()
    links = []
    for action, fields in parser.forms:
        query = urlencode([(k, v) for k, v in fields if v])
        links += _links(f'<a href="{html.escape(action or urlsplit(base).path)}?{html.escape(query)}">', base)
    return links


def _excluded(path: str, rule: str, problem: str) -> bool:
    return any(p.search(path) and r == rule and w.search(problem) for p, r, w in EXCLUSIONS)


def scan(page: str, language: str, url: str) -> list[str]:
    """The problems of one HTML page: structure, formatting, the other language's words."""
    found = [("structure", p) for p in structure_problems(page, language)]
    found += [("formatting", p) for p in offences(page, language)]
    if language == "en":
        found += [("French", p) for p in french_leftovers(page)]
    else:
        found += [("English", p) for p in english_leftovers(page)]
    return [f"{rule}: {p}" for rule, p in found if not _excluded(url, rule, p)]


def crawl(
    client, language: str, budget: int = PAGE_BUDGET, start: tuple[str, ...] = ()
) -> tuple[list[str], dict[str, list[str]]]:
    """Visit the site from the home page (and the `start` pages) in `language`, following links
    and GET forms sent with their defaults; answer the pages seen and the problems found on each."""
    client.get(f"/?lang={language}")
    queue, seen, shapes = deque(["/", *start]), {"/", *start}, Counter()
    visited: list[str] = []
    problems: dict[str, list[str]] = {}
    while queue and len(visited) < budget:
        url = queue.popleft()
        response = client.get(url)
        visited.append(url)
        found: list[str] = []
        status = response.status_code
        if status >= 500 or status in (400, 405):
            found.append(f"status {status}")
        elif status in (301, 302, 303, 307, 308):
            location = response.headers["Location"]
            if "/compte/connexion" not in location:
                queue.extend(link for link in _links(f'<a href="{location}">', url) if link not in seen)
                seen.update(_links(f'<a href="{location}">', url))
        elif response.mimetype == "text/html" and status in (200, 422):
            page = response.get_data(as_text=True)
            found += scan(page, language, url)
            for link in _links(page, url) + _form_links(page, url):
                if link in seen or SKIP.search(link):
                    continue
                seen.add(link)
                shape = _shape(link)
                if shapes[shape] >= PER_SHAPE:
                    continue
                shapes[shape] += 1
                queue.append(link)
        elif status in (403, 404):
            found.append(f"status {status}: a link this role is shown leads nowhere")
        elif status != 200:
            found.append(f"status {status} ({response.mimetype})")
        if found:
            problems[url] = found
    return visited, problems


# The indexation previews are reached through a form whose default year is already applied: open a
# year that computes and one whose months are not published (a 422 page that names them).
INDEXATION_PREVIEWS = (
    "/indexation/apercu?program=TNCES&fiscal_year=2028-2029",
    "/indexation/apercu?program=TNCES&fiscal_year=2031-2032",
)


def _bad_cell_forms(site) -> list[tuple[str, str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """(page holding the form, where it posts, what is sent) for each of the cell's forms, wrong."""
    flag, entity = f"/cellule/signalements/{site.cell.flag.id}", f"/cellule/organismes/{site.cell.entity_id}"
    return [
        (flag, flag, {"decision": "nonsense", "version": "x"}),
        (entity, f"{entity}/confirmer", {"confirm-other": "999999"}),
        (entity, f"{entity}/separer", {}),
        ("/cellule/importations/", "/cellule/importations/", {}),
        ("/cellule/budget/", "/cellule/budget/plancher", {"floor": "beaucoup"}),
        ("/cellule/budget/rapport", "/cellule/budget/rapport", {"period": "zzz", "language": "xx"}),
    ]


CELL_FLAGS_HEADING = {"fr": "Signalements de la cellule de coordination", "en": "Coordination cell flags"}
DUPLICATE_LINE = {
    "fr": "MSSS, ligne MSSS-PSOC-2026-0901 : même NEQ",
    "en": "MSSS, line MSSS-PSOC-2026-0901: same NEQ",
}


@pytest.fixture
def site(app, cpi_sandbox):
    return build_site()


def test_every_role_crawls_the_site_in_both_languages_without_a_defect(app, site, sign_in):
    roles = site.users
    assert {StaffRole(a.role) for u in roles.values() for a in u.staff_assignments} == set(StaffRole)
    # Pages deep in the lists the crawl might not reach within its shape budget: the flagged
    # request's analysis page, the flag the cell reviewed, the group it decided on, the report built.
    analysis = f"/analyse/{site.cell.flagged_request.id}"
    cell_pages = (
        analysis,
        f"/cellule/signalements/{site.cell.flag.id}",
        f"/cellule/organismes/{site.cell.entity_id}",
        f"/cellule/importations/{site.cell.funding_import.id}",
        f"/taches/{site.cell.report_job.id}",
    )
    extra_start = {
        "program officer": (analysis,),
        "coordination cell": cell_pages,
        "administrator": cell_pages,
    }
    started = time.monotonic()
    problems: dict[str, list[str]] = {}
    counts = {}
    for name, user in roles.items():
        client = app.test_client()
        sign_in(user, target=client)
        for language in LANGUAGES:
            start = INDEXATION_PREVIEWS if name in ("program officer", "administrator") else ()
            start += extra_start.get(name, ())
            visited, found = crawl(client, language, start=start)
            counts[f"{name} {language}"] = len(visited)
            missed = [url for url in start if url not in visited]
            assert not missed, f"{name} {language} did not reach {missed}"
            if name in ("program officer", "coordination cell"):
                # The officer's analysis page shows the cell's flags of the request.
                page = client.get(analysis).get_data(as_text=True)
                assert CELL_FLAGS_HEADING[language] in page, (name, language, analysis)
                # A duplicate names the other ministry's line it pairs the request with.
                assert DUPLICATE_LINE[language] in page, (name, language, analysis)
            problems.update({f"{name} {language} {url}": p for url, p in found.items()})
    # The cell reads its own work in the journal (a flag reviewed, an import, a decision).
    cell_client = app.test_client()
    sign_in(roles["coordination cell"], target=cell_client)
    cell_client.get("/?lang=fr")
    for kind, said in (
        ("FundingFlag", "Décision : À examiner → Doublon confirmé"),
        ("FundingImport", "Lignes refusées : 1"),
        ("EntityDecision", "Même organisme : Oui"),
    ):
        page = cell_client.get(f"/journal/?type={kind}").get_data(as_text=True)
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
        assert said in text, (kind, text[-1500:])
    # The cell's forms sent wrong answer their page again with the errors, scanned like the rest.
    client = app.test_client()
    sign_in(roles["coordination cell"], target=client)
    for language in LANGUAGES:
        client.get(f"/?lang={language}")
        for page, target, data in _bad_cell_forms(site):
            response = client.post(target, data={"csrf_token": csrf_token(client, page), **data})
            assert response.status_code == 422, (language, target, response.status_code)
            found = scan(response.get_data(as_text=True), language, target)
            if found:
                problems[f"coordination cell {language} POST {target}"] = found
    elapsed = time.monotonic() - started
    # The journal names the indexation run an agreement was indexed by, not its id.
    admin = app.test_client()
    sign_in(roles["administrator"], target=admin)
    admin.get("/?lang=en")
    journal = html.unescape(
        re.sub(r"<[^>]+>", " ", admin.get("/journal/?type=Agreement").get_data(as_text=True))
    )
    assert re.search(r"Indexation run\W+TNCES 2027-2028", journal), " ".join(journal.split())[:3000]
    print(f"\ncrawled {sum(counts.values())} pages in {elapsed:.1f} s: {counts}")
    # Each crawl reached well beyond the home page.
    assert min(counts.values()) >= 10, counts
    assert not problems, "\n".join(f"{url}\n    " + "\n    ".join(p) for url, p in problems.items())


def test_the_scans_catch_what_they_are_for():
    english = '<html lang="en-CA"><body><h1>Requests</h1><a>Suivant</a><p>Amount : $5</p>'
    english += '<p lang="fr">Mesure 12 : Précédent</p><td>28 novembre 2026</td><td>5 000,00 $</td></html>'
    found = french_leftovers(english)
    assert [f.split(":")[0] for f in found] == [
        "French word",
        "French date",
        "French amount",
        "space before a colon",
    ], found
    assert french_leftovers("<p>Exporter en CSV</p>") == [
        "French message: Exporter en CSV",
        "French word: Exporter en CSV",
    ]
    assert not french_leftovers('<html lang="en"><p lang="fr-CA">Exporter en CSV : <b>Suivant</b></p></html>')
    assert offences("<td>2 exercice(s)</td>") and offences("<td>True</td>") and offences("<td>{'a': 1}</td>")
    assert offences("<td>None</td>", "fr") and not offences("<td>None</td>", "en")
    assert french_leftovers("<p>9:30 p.m..</p>") == ["doubled period: 9:30 p.m.."]
    assert french_leftovers("<p>Enforcement: 0.00% ; Recovery: 23.68%</p>") == [
        "space before a semicolon: Enforcement: 0.00% ; Recovery: 23.68%"
    ]
    assert french_leftovers('<input placeholder="AAAA-MM-JJ"><img alt="Suivant">') == [
        "French attribute: AAAA-MM-JJ",
        "French attribute: Suivant",
    ]
    assert french_leftovers("<p>1 April 2026</p>") == ["day before the month: 1 April 2026"]
    assert english_leftovers("<p>Export as CSV</p>") == [
        "English message: Export as CSV",
        "English word: Export as CSV",
    ]
    assert english_leftovers("<td>Salaries : 3</td>") == ["English word: Salaries : 3"]
    assert not english_leftovers('<p>Exporter en CSV</p><button lang="en">English</button>')
    page = '<html lang="fr-CA"><h1>A</h1><h1>B</h1><input name="q"><label>Nom <input name="n"></label>'
    page += '<label for="x">X</label><select id="x"></select><input type="hidden" name="h"></html>'
    assert structure_problems(page, "en") == [
        "<html lang='fr-CA'>, not en",
        "2 h1",
        "<input name='q' id=None> has no label",
    ]
    page = '<html lang="en"><h1 id="t">T</h1><a href="#sections">Fix</a><p id="t"></p>'
    page += '<input id="n" aria-describedby="n-error"><label for="n">N</label></html>'
    assert structure_problems(page, "en") == [
        "ids used twice: t",
        "href=#sections points to no element of the page",
        "aria-describedby=n-error points to no element of the page",
    ]
