"""Issue 13, items 8, 9 and 11, measured in headless Chromium: the main pages reflow at 320 px
(WCAG 1.4.10), the keyboard focus outline has a 3:1 contrast (WCAG 1.4.11), and a slow form says
it is working and cannot be sent twice."""

import re

import pytest
from playwright.sync_api import expect

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.reference.models import Region
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, OrganizationFactory, funding_request, member, open_call, staff
from tests.site_data import build_site

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# The widest elements that stick out of the viewport, to say what broke when the page is too wide
# (what is inside a table is left out: the table scrolls in its own box).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((e) => !e.closest('.table-scroll, table'))
  .filter((e, i, all) => !all.some((o) => o !== e && e.contains(o)))
  .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
       + ' ' + Math.round(e.getBoundingClientRect().right))
  .slice(0, 8)"""


# Text cut off: a box that hides what overflows it (not one that scrolls, nor the visually hidden
# labels meant for screen readers, nor a form field, whose text scrolls with the caret) while its
# content is wider or taller than it.
CUT = """() => [...document.querySelectorAll('main *')]
  .filter((e) => !e.closest('.visually-hidden, .skip-link') && !e.matches('input, textarea, select'))
  .filter((e) => { const s = getComputedStyle(e);
    const hides = (v) => v === 'hidden' || v === 'clip';
    return (hides(s.overflowX) && e.scrollWidth > e.clientWidth + 1)
        || (hides(s.overflowY) && e.scrollHeight > e.clientHeight + 1)
        || (s.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1); })
  .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.textContent.trim().slice(0, 40))"""


def _ax_tables(page) -> int:
    """How many tables Chromium's accessibility tree (what a screen reader reads) holds."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return sum(1 for n in nodes if n.get("role", {}).get("value") in {"table", "grid"})


def _too_wide(page, path: str) -> list:
    """[] when the page at `path` fits the viewport (1 px of rounding allowed), cuts no text and
    keeps its tables, else what is wrong."""
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    problems = [] if width <= viewport + 1 else [(path, width, page.evaluate(WIDEST))]
    cut = page.evaluate(CUT)
    if cut:
        problems.append((path, "text cut off", cut[:8]))
    # A table that is its own scrolling box on a narrow screen is still a table to a screen reader.
    tables, exposed = page.evaluate("document.querySelectorAll('table').length"), _ax_tables(page)
    if exposed != tables:
        problems.append((path, "tables that lost their role at 320 px", tables, exposed))
    return problems


def _request_under_review(officer):
    organization = OrganizationFactory(legal_name="Organisme au nom assez long pour passer à la ligne")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, call_id=call.id, status="under_review")
    request.assignee_id = officer.id
    db.session.commit()
    return applicant, request


def test_request_pages_reflow_at_320_px(browser, live_server):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    applicant, submitted = _request_under_review(officer)
    draft = funding_request("TNCES", submitted.organization, years=5, call_id=submitted.call_id)

    too_wide = []
    for user, paths in (
        (applicant, [f"/demandes/{draft.id}/modifier", f"/demandes/{submitted.id}"]),
        (officer, ["/analyse/", f"/analyse/{submitted.id}"]),
    ):
        context = browser.new_context(base_url=live_server, locale="fr-CA", viewport=NARROW)
        context.set_default_timeout(15000)
        page = context.new_page()
        sign_in(page, user.email, PASSWORD)
        for path in paths:
            too_wide += _too_wide(page, path)
        context.close()
    assert not too_wide, too_wide


@pytest.mark.parametrize("viewport", [NARROW, {"width": 1280, "height": 800}], ids=["320px", "1280px"])
def test_the_other_main_pages_reflow(browser, live_server, cpi_sandbox, viewport):
    """Agreement, payment schedule, indexation preview and run, report form and review,
    organizations, journal, accounts and CPI pages, on a phone and on a desktop screen: wide tables
    (people reached by region: 3 600 px) scroll in their own box, the page never does."""
    site = build_site()
    agreement, report = site.agreement.id, site.midyear.id
    member_paths = [
        f"/conventions/{agreement}",
        f"/redditions/{report}",
        f"/redditions/{report}/activites",
        f"/redditions/{report}/indicateurs",
        f"/redditions/{report}/etat-financier",
        f"/redditions/{report}/personnes-rejointes",
        f"/redditions/{report}/pieces-jointes",
        f"/organismes/{site.organization.id}",
        "/journal/",
    ]
    officer_paths = [
        f"/conventions/{agreement}",
        f"/versements/conventions/{agreement}/2026-2027",
        "/versements/",
        "/indexation/",
        "/indexation/apercu?program=TNCES&fiscal_year=2028-2029",
        f"/indexation/executions/{site.run.id}",
        f"/redditions/analyse/{site.annual.id}",
        "/redditions/analyse/",
        "/organismes/",
        f"/organismes/{site.organization.id}",
        "/journal/",
        "/ipc/",
        "/ipc/quebec-all-items",
    ]
    admin = site.users["administrator"]
    admin_paths = ["/admin/comptes/", f"/admin/comptes/{admin.id}", "/journal/", "/ipc/"]
    too_wide = []
    for user, paths in (
        (site.users["organization member"], member_paths),
        (site.users["program officer"], officer_paths),
        (admin, admin_paths),
    ):
        context = browser.new_context(base_url=live_server, locale="fr-CA", viewport=viewport)
        context.set_default_timeout(15000)
        page = context.new_page()
        sign_in(page, user.email, PASSWORD)
        for path in paths:
            too_wide += _too_wide(page, path)
        context.close()
    assert not too_wide, "\n".join(map(str, too_wide))


def _luminance(rgb: tuple[float, ...]) -> float:
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two computed CSS colours (`rgb(…)`/`rgba(…)`)."""
    a, b = (_luminance(tuple(float(n) for n in re.findall(r"[\d.]+", c))) for c in (one, other))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


# The focused element's outline and the first opaque background behind it.
FOCUS_STYLE = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  let box = element.parentElement, background = 'rgb(255, 255, 255)';
  for (; box; box = box.parentElement) {
    const colour = getComputedStyle(box).backgroundColor;
    if (colour !== 'transparent' && !colour.startsWith('rgba(0, 0, 0, 0')) { background = colour; break; }
  }
  return {type: element.type, color: style.outlineColor, style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), background};
}"""


def test_keyboard_focus_on_a_checkbox_has_a_visible_outline_of_3_to_1(page):
    organization = OrganizationFactory()
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    draft = funding_request("TNCES", organization, years=1, call_id=call.id)
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/demandes/{draft.id}/modifier")
    # Reach the next region's checkbox with the keyboard, as a keyboard user would.
    page.get_by_label("Capitale-Nationale").focus()
    page.keyboard.press("Tab")
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["type"] == "checkbox", focus
    assert focus["style"] == "solid" and focus["width"] >= 2, focus
    assert _contrast(focus["color"], focus["background"]) >= 3, focus


def test_a_sent_form_says_it_is_working_and_still_sends_the_clicked_button(page):
    organization = OrganizationFactory()
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    request.regions = [db.session.execute(db.select(Region).filter_by(code="03")).scalar_one()]
    db.session.commit()
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/demandes/{request.id}/modifier")
    # What the buttons look like while the form is on its way (read after app.js has acted).
    page.evaluate("""() => document.addEventListener('submit', (event) => {
      const buttons = [...event.target.elements].filter((e) => e.type === 'submit');
      sessionStorage.setItem('busy', JSON.stringify({
        form: event.target.getAttribute('aria-busy'),
        disabled: buttons.map((b) => b.disabled),
        clicked: event.submitter.textContent.trim(),
        busy: event.submitter.getAttribute('aria-busy')}));
    })""")
    with page.expect_request(lambda r: r.method == "POST" and "/modifier" in r.url) as sent:
        page.get_by_role("button", name="Déposer la demande").click()
    expect(page.get_by_role("status")).to_contain_text(request.reference)
    busy = page.evaluate("JSON.parse(sessionStorage.getItem('busy'))")
    clicked = "Traitement en cours…"
    assert busy == {"form": "true", "disabled": [True, True], "clicked": clicked, "busy": "true"}
    body = sent.value.post_data_buffer
    assert re.search(rb'name="action"\r\n\r\nsubmit\r\n', body), body[-400:]
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.SUBMITTED
