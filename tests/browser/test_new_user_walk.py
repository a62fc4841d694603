"""What a new user of the demo met in Chromium (walk of every role in French and English), pinned
here once fixed."""

import pytest
from playwright.sync_api import expect

from grants.core.roles import MemberRole, StaffRole
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, member, staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("kind", ["organization", "officer"])
def test_pages_load_without_a_failed_request_in_the_console(page, kind):
    """Every page logged « Failed to load resource: 404 » in the console: the browser asked for
    /favicon.ico, which the product did not have. The page names its icon, which answers."""
    user = (
        member(MemberRole.ACCOUNT_ADMIN)
        if kind == "organization"
        else staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    )
    failures: list[str] = []
    page.on("console", lambda message: failures.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)

    sign_in(page, user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path in ("/", "/appels/", "/redditions/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert failures == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(icon).status == 200
