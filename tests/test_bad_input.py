"""Bad input never gets a 500: a walk over every route of the application (`app.url_map`), as each
role, with a corpus of bad values in the path, the query string and the forms.

Real objects (a call, draft and submitted requests, agreements at each step, installments, an
indexation run, an email) let the routes reach their logic; every POST carries a real CSRF token
read from a page, and each form is first sent as the page renders it, then with one field (or all
of them) replaced by a bad value. Any answer of 500 or more, or an exception, is a failure; the
list of them is the assertion message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    budget_officer,
    funding_request,
    member,
    open_call,
    staff,
)
from tests.forms import Form, forms_of

HUGE = "99999999999999999999"
TEXT = "a\r\nb\x00c" + "x" * 1000  # line breaks, a NUL, and longer than any column
# Every value the walk types into each page's query string: ids, page numbers, versions, amounts,
# fiscal years, dates, unknown names, line breaks and NUL characters.
CORPUS = [
    HUGE,
    "2147483648",
    "-1",
    "0",
    str(10**30),
    "abc",
    "",
    "9" * 30,
    "NaN",
    "inf",
    "-0",
    "1e400",
    "²",
    "0001-0002",
    "9999-10000",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "nope",
    TEXT,
]
# What goes into every field of each form at once (one field at a time follows, by type).
FORM_CORPUS = [
    HUGE,
    str(10**30),
    "-1",
    "abc",
    "",
    "9" * 30,
    "NaN",
    "inf",
    "²",
    "0001-0002",
    "9999-12-31",
    TEXT,
]
# For a page or form the role reaches that the roles walked in depth did not.
SHORT = [HUGE, "NaN", "9999-12-31", TEXT]
BAD_IDS = [HUGE]
BAD_NAMES = ["9999-10000", "a%0D%0Ab%00c", "x" * 300]
QUERY_NAMES = [
    "page",
    "per_page",
    "sort",
    "format",
    "program",
    "status",
    "region",
    "nation",
    "fiscal_year",
    "assignee",
    "organization",
    "planned_from",
    "planned_to",
    "type",
    "id",
    "action",
    "statut",
    "destinataire",
    "serie",
    "axe",
    "q",
    "next",
]
LIST_ARGS = ["page", "per_page", "sort", "format"]
# Sensible values the query-string pass starts from, so one bad argument is read with the others.
QUERY_BASE = {"program": "TNCES", "fiscal_year": "2026-2027", "serie": "quebec-all-items"}
SKIPPED_POSTS = {"accounts.logout"}  # would sign the walking client out
# The order of the walk; the first two are walked in depth (bad paths, the whole corpus, one query
# argument and one form field at a time), the others get what the first ones did not see.
ROLES = ["system admin", "organization admin", "program officer", "coordination cell", "anonymous"]
DEEP_ROLES = {"system admin", "organization admin", "anonymous"}


def typed_values(name: str, value: str) -> list[str]:
    """The bad values worth trying in one field or argument, by what it holds."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or re.search(r"date|_on$|_from$|_to$", name):
        return ["0001-01-01", "2026-02-30"]
    if re.fullmatch(r"\d{4}-\d{4}", value) or "year" in name:
        return ["9999-10000"]
    if re.fullmatch(r"[\d\s,.\u00a0\u202f$-]+", value) or re.search(
        r"amount|version|_id$|^id$|rows|score|percent|decimals|max|value|approved|page", name
    ):
        return [HUGE, "NaN", "²"]
    return [TEXT]


@dataclass
class World:
    organization_id: int
    draft_id: int
    review_ids: list[int]
    agreement_ids: list[int]
    installment_id: int
    call_id: int
    run_id: int | None
    line_id: int | None
    message_id: int
    users: dict[str, Any]


def _build_world() -> World:
    from grants.agreements import operations as agreements
    from grants.fiscal import FiscalYear
    from grants.indexation import operations as indexation
    from grants.notifications.models import OutboundEmail
    from grants.payments.models import Installment
    from grants.programs.models import Program
    from grants.reference.models import Region
    from grants.review import operations as review

    organization = OrganizationFactory()
    org_admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    officer = budget_officer("TNCES")
    cell = staff(StaffRole.COORDINATION_CELL)
    admin = staff(StaffRole.SYSTEM_ADMIN)
    call = open_call("TNCES")
    draft = funding_request("TNCES", organization, years=2, call_id=call.id)
    draft.regions = [db.session.get(Region, "06")]
    under_review = funding_request("TNCES", organization, status="under_review", years=2)
    recommended = funding_request("TNCES", organization, status="recommended", years=2)
    in_force, _ = agreement_in_force("TNCES", organization, years=2)
    # An agreement waiting for the signatory, and one waiting for the ministry's countersignature.
    sent = review.approve(
        funding_request("TNCES", organization, status="recommended", years=1),
        {FiscalYear(2026): funding_request_amount()},
        "",
        actor=officer,
    )
    accepted = review.approve(
        funding_request("TNCES", organization, status="recommended", years=1),
        {FiscalYear(2026): funding_request_amount()},
        "",
        actor=officer,
    )
    agreements.accept(
        accepted,
        accepted.current,
        actor=org_admin,
        signatory_name="Line Tremblay",
        signatory_title="Directrice",
        ip_address="127.0.0.1",
    )
    db.session.commit()
    installment_id = db.session.scalar(
        db.select(Installment.id).filter_by(agreement_id=in_force.id).order_by(Installment.id)
    )
    run_id = line_id = None
    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    from grants.cpi.rates import MissingMonths
    from grants.indexation.rules import NoRate

    try:
        run = indexation.create_run(tnces, FiscalYear(2026), actor=officer)
        db.session.commit()
        run_id = run.id
        line_id = run.lines[0].id if run.lines else None
    except (MissingMonths, NoRate, indexation.RunRefused):  # the run routes then get bad ids only
        db.session.rollback()
    message_id = db.session.scalar(db.select(OutboundEmail.id).order_by(OutboundEmail.id))
    return World(
        organization_id=organization.id,
        draft_id=draft.id,
        review_ids=[under_review.id, recommended.id],
        agreement_ids=[sent.id, accepted.id, in_force.id],
        installment_id=installment_id,
        call_id=call.id,
        run_id=run_id,
        line_id=line_id,
        message_id=message_id,
        users={
            "organization admin": org_admin,
            "program officer": officer,
            "coordination cell": cell,
            "system admin": admin,
        },
    )


def funding_request_amount() -> Any:
    from decimal import Decimal

    return Decimal("100000.00")


def _real_values(world: World, endpoint: str, name: str) -> list[str]:
    """The values of a path variable that name real objects."""
    values: dict[str, list[Any]] = {
        "request_id": world.review_ids if endpoint.startswith("review.") else [world.draft_id],
        "agreement_id": world.agreement_ids,
        "installment_id": [world.installment_id],
        "call_id": [world.call_id],
        "organization_id": [world.organization_id],
        "message_id": [world.message_id],
        "run_id": [world.run_id] if world.run_id else [],
        "line_id": [world.line_id] if world.line_id else [],
        "number": ["1"],
        "attachment_id": [],
        "code": ["2026-2029"] if endpoint.startswith("reference.") else ["TNCES"],
        "name": ["quebec-all-items"],
        "step": ["approuver", "abandonner"],
        "year": ["2026-2027"],
        "token": ["not-a-token"],
        # The account pages walk the administrator's own account: the last administrator is
        # never deactivated nor demoted, so the other roles' accounts stay as they are.
        "user_id": [world.users["system admin"].id],
    }
    if endpoint == "reference.measure" and name == "number":
        return ["1"]
    return [str(v) for v in values.get(name, [])]


def _paths(rule: Any, world: World) -> tuple[list[str], list[str]]:
    """(paths naming real objects, paths with one bad variable) for a URL rule."""
    names = list(rule.arguments)
    real = {n: _real_values(world, rule.endpoint, n) for n in names}
    first_real = {n: (v[0] if v else "1") for n, v in real.items()}

    def build(values: dict[str, str]) -> str:
        path = rule.rule
        for n, v in values.items():
            path = re.sub(rf"<(?:[a-z]+:)?{n}>", v, path)
        return path

    good: list[str] = []
    if all(real.values()):
        combos: list[dict[str, str]] = [dict(first_real)]
        for n, options in real.items():
            combos += [dict(first_real, **{n: o}) for o in options[1:]]
        good = [build(c) for c in combos]
    bad: list[str] = []
    for n in names:
        corpus = BAD_IDS if isinstance(rule._converters[n], IntegerConverter) else BAD_NAMES
        bad += [build(dict(first_real, **{n: quote(v, safe="%") if "%" not in v else v})) for v in corpus]
    return good, bad


class NetCatches(logging.Handler):
    """What the net under the input checks caught (grants.core.views.bad_input logs each one):
    a 400 page for the user, a missing check for this test."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("bad input reached"):
            self.messages.append(record.getMessage().split("\n")[0][:200])


class Walker:
    """One signed-in client walking the routes; `seen` is shared between the roles so a form or a
    page's query string is bombarded once, by the first role that reaches it."""

    def __init__(self, client: Any, role: str, seen: set[str], net: NetCatches) -> None:
        self.client, self.role, self.seen, self.net = client, role, seen, net
        self.deep = role in DEEP_ROLES
        self.failures: list[str] = []
        self.forms: dict[str, list[Form]] = {}
        self.token: str | None = None
        self.requests = 0
        self.spent: dict[str, float] = {}

    def call(self, method: str, path: str, data: Any = None, *, note: str = "", harvest: bool = False) -> int:
        self.requests += 1
        started = time.monotonic()
        caught = len(self.net.messages)
        try:
            if method == "GET":
                response = self.client.get(path)
            else:
                response = self.client.post(path, data=MultiDict(data) if isinstance(data, list) else data)
        except Exception as error:  # with TESTING, an unhandled error reaches us instead of a 500
            first_line = str(error).split("\n")[0][:160]
            self._fail(method, path, note, f"{type(error).__name__}: {first_line}")
            db.session.rollback()
            return 500
        route = f"{method} {re.sub(r'[?].*', '', path)}"
        self.spent[route] = self.spent.get(route, 0) + time.monotonic() - started
        if response.status_code >= 500:
            self._fail(method, path, note, str(response.status_code))
        for message in self.net.messages[caught:]:
            self._fail(method, path, note, f"{response.status_code}, caught by the net: {message}")
        if harvest and response.status_code == 200 and response.mimetype == "text/html":
            for form in forms_of(response.get_data(as_text=True), urlsplit(path).path):
                known = self.forms.setdefault(form.action, [])
                if not any([n for n, _ in f.fields] == [n for n, _ in form.fields] for f in known):
                    known.append(form)
                self.token = dict(form.fields).get("csrf_token") or self.token
        return response.status_code

    def _fail(self, method: str, path: str, note: str, outcome: str) -> None:
        self.failures.append(f"{self.role}: {method} {path[:120]!r} {note[:160]!r} -> {outcome}")

    def first_time(self, key: str) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def get_pass(self, rule: Any, path: str) -> None:
        if self.call("GET", path, harvest=True) != 200:
            return
        reads_query = _reads_query(rule)
        if not self.first_time(f"GET {rule.rule}"):
            return
        values = CORPUS if reads_query and self.deep else SHORT if reads_query else SHORT[-1:]
        for value in values:
            self.call(
                "GET",
                f"{path}?{urlencode(dict.fromkeys(QUERY_NAMES, value))}",
                note=f"every argument={value}",
            )
        if not (reads_query and self.deep):
            return
        filters = {
            n for f in self.forms.get(urlsplit(path).path, []) if f.method == "get" for n, _ in f.fields
        }
        for name in sorted(filters | set(LIST_ARGS)):
            for value in typed_values(name, QUERY_BASE.get(name, "")):
                self.call("GET", f"{path}?{urlencode(QUERY_BASE | {name: value})}", note=f"{name}={value}")

    def post_pass(self, rule: Any, path: str) -> None:
        forms = [f for f in self.forms.get(urlsplit(path).path, []) if f.method == "post"]
        for form in forms or [Form(path, "post")]:
            base = [(n, v) for n, v in form.fields if n != "csrf_token"]
            token = [("csrf_token", self.token or "")]
            buttons = [[b] for b in form.buttons] or [[]]
            self.call("POST", path, token + base + buttons[0], note="the form as rendered")
            names = sorted({n for n, _ in base} | set(form.unticked))
            shape = sorted({re.sub(r"\d+", "#", n) for n in names})  # amount-2026 and amount-2027 alike
            if not self.first_time(f"POST {rule.rule} {shape}"):
                continue
            for button in buttons:  # each submit button (save, submit…) with every field bad
                for value in FORM_CORPUS if self.deep else SHORT:
                    fields = [(n, value) for n in names] + [("version", value)]
                    self.call("POST", path, token + fields + button, note=f"{button} every field={value}")
            if not self.deep:
                continue
            shapes: dict[str, tuple[str, str]] = {}
            for name, value in base + [(n, "") for n in form.unticked]:
                shapes.setdefault(re.sub(r"\d+", "#", name), (name, value))
            for name, value in shapes.values():
                for bad in typed_values(name, value):
                    fields = [(n, bad if n == name else v) for n, v in base]
                    if name not in dict(base):
                        fields.append((name, bad))
                    self.call("POST", path, token + fields + buttons[0], note=f"{name}={bad}")


def _reads_query(rule: Any) -> bool:
    """Whether a page reads its query string (filters, sorting, pages, a CSV format)."""
    import inspect

    from flask import current_app

    source = inspect.getsource(current_app.view_functions[rule.endpoint])
    return bool(re.search(r"request\.args|paginate|from_args|_SORT", source))


def _short(data: Any) -> str:
    if not data:
        return ""
    text = repr(data)
    return text if len(text) < 300 else text[:300] + "…"


def _sign_in(client: Any, user: Any) -> None:
    from tests.factories import PASSWORD
    from tests.helpers import csrf_token

    token = csrf_token(client, "/compte/connexion")
    response = client.post(
        "/compte/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _routes(app: Any) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    # Pages first (they hold the forms), then the routes that change things.
    return sorted(rules, key=lambda r: (r.endpoint.split(".")[0], r.rule))


def test_no_route_answers_500_to_bad_input(app: Any) -> None:
    world = _build_world()
    print(world)
    rules = _routes(app)
    failures: list[str] = []
    report = []
    seen: set[str] = set()
    net = NetCatches()
    app.logger.addHandler(net)
    try:
        for role in ROLES:
            failures += _walk(app, world, rules, role, seen, net, report)
    finally:
        app.logger.removeHandler(net)
    print("\n".join(report))
    assert not failures, f"{len(failures)} answers of 500 or errors caught by the net:\n" + "\n".join(
        _dedupe(failures)
    )


def _walk(
    app: Any, world: World, rules: list[Any], role: str, seen: set[str], net: NetCatches, report: list[str]
) -> list[str]:
    """One role's walk over every route: bad paths, then each page and its query string, then each
    form the pages hold. Answers its failures and adds a line (requests, time) to `report`."""
    started, cpu = time.monotonic(), time.process_time()
    client = app.test_client()
    if role != "anonymous":
        _sign_in(client, world.users[role])
    walker = Walker(client, role, seen, net)
    walker.call("GET", "/", harvest=True)  # a CSRF token from the page's own forms (language, sign-out)
    posts: list[tuple[Any, str]] = []
    for rule in rules:
        good, bad = _paths(rule, world)
        for path in bad if walker.first_time(f"bad paths {rule.rule} {role == 'anonymous'}") else []:
            if "GET" in rule.methods:
                walker.call("GET", path, note="bad path")
            if "POST" in rule.methods and rule.endpoint not in SKIPPED_POSTS:
                walker.call("POST", path, {"csrf_token": walker.token or ""}, note="bad path")
        for path in good:
            if "GET" in rule.methods:
                walker.get_pass(rule, path)
            if "POST" in rule.methods and rule.endpoint not in SKIPPED_POSTS:
                posts.append((rule, path))
    for rule, path in posts:  # after every page is read: their forms are the ones posted
        walker.post_pass(rule, path)
    slowest = sorted(walker.spent.items(), key=lambda item: -item[1])[:4]
    report.append(
        f"{role}: {walker.requests} requests in {time.monotonic() - started:.1f} s, "
        f"{time.process_time() - cpu:.1f} s of CPU (most: "
        + ", ".join(f"{route} {spent:.1f} s" for route, spent in slowest)
        + ")"
    )
    return walker.failures


def _dedupe(lines: Iterable[str]) -> list[str]:
    """One line per route, kind of failure and field: the walk finds the same cause many times."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        where = re.search(r": (GET|POST) '([^'?]*)[^']*' '([^=']*)", line)
        outcome = line.partition(" -> ")[2]
        key = re.sub(r"\d+", "#", " ".join(where.groups()) if where else line) + outcome.split(":")[0]
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept
