"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="fr-CA")
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/compte/connexion")
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
