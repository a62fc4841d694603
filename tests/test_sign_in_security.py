"""Sign-in under attack (issue 12, items 11 to 13): parallel attempts cannot get past the lockout,
signing out or a new password ends every session, and nothing in the answer (its text or the
work behind it) tells an unknown address from a known or locked account."""

import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from grants.accounts.operations import TokenPurpose, issue_token, sign_in
from grants.core.audit import AuditEntry
from grants.core.db import db, utcnow
from tests.conftest import ROOT
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member
from tests.helpers import csrf_token


@pytest.fixture
def verifications(monkeypatch):
    """The hashes Argon2 verifies passwords against, in order: a spy that calls through to
    argon2-cffi (no verification is skipped or faked)."""
    from argon2 import PasswordHasher

    checked: list[str] = []
    guard = threading.Lock()
    real_verify = PasswordHasher.verify

    def verify(self, hash, password):
        with guard:
            checked.append(hash.decode() if isinstance(hash, bytes) else hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    return checked


def _post_login(client, email, password):
    token = csrf_token(client, "/compte/connexion")
    return client.post("/compte/connexion", data={"email": email, "password": password, "csrf_token": token})


# -- item 11: the lockout holds against parallel attempts ----------------------------------------------
def test_parallel_sign_ins_do_not_bypass_the_lockout(app, client, verifications):
    """30 simultaneous wrong passwords, each from its own browser: the account's password is
    checked only as many times as the lockout allows, then the right password is refused
    without being checked."""
    user = UserFactory()
    email, limit = user.email, app.config["LOGIN_MAX_FAILURES"]
    browsers = [app.test_client() for _ in range(30)]
    tokens = [csrf_token(browser, "/compte/connexion") for browser in browsers]
    start = threading.Barrier(len(browsers))

    def attempt(index: int) -> int:
        start.wait()
        return (
            browsers[index]
            .post(
                "/compte/connexion",
                data={"email": email, "password": f"wrong password {index}", "csrf_token": tokens[index]},
            )
            .status_code
        )

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        statuses = list(pool.map(attempt, range(len(browsers))))

    assert statuses == [401] * len(browsers)
    assert verifications.count(user.password_hash) == limit
    db.session.expire_all()
    assert user.failed_logins == limit
    assert user.locked_until is not None and user.locked_until > utcnow()
    assert db.session.query(AuditEntry).filter_by(action="user.locked").count() == 1

    checked_before = verifications.count(user.password_hash)
    assert _post_login(client, user.email, PASSWORD).status_code == 401
    assert verifications.count(user.password_hash) == checked_before  # a locked account is not tried
    assert client.get(f"/organismes/{OrganizationFactory().id}").status_code == 302  # not signed in


def test_lock_expiry_and_a_correct_password_still_work(app):
    user = UserFactory()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(user.email, "wrong password!")
    db.session.commit()
    assert sign_in(user.email, PASSWORD).outcome == "locked"
    db.session.commit()
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(user.email, PASSWORD).outcome == "ok"
    db.session.commit()
    assert user.failed_logins == 0 and user.locked_until is None


# -- item 12: signing out or a new password ends every session ---------------------------------------
def _private_page_answers(browser, url: str) -> bool:
    response = browser.get(url)
    return response.status_code == 200


def test_signing_out_ends_every_session_of_the_account(app, sign_in):
    organization = OrganizationFactory()
    user = member(organization=organization)
    page = f"/organismes/{organization.id}"
    laptop, phone = app.test_client(), app.test_client()
    sign_in(user, target=laptop)
    sign_in(user, target=phone)
    copied_cookie = laptop.get_cookie("session").value
    assert _private_page_answers(laptop, page) and _private_page_answers(phone, page)

    laptop.post("/compte/deconnexion", data={"csrf_token": csrf_token(laptop, page)})

    assert not _private_page_answers(laptop, page)
    assert not _private_page_answers(phone, page)  # the other session ended too
    replay = app.test_client()
    replay.set_cookie("session", copied_cookie)
    response = replay.get(page)
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    sign_in(user, target=phone)  # signing in again works
    assert _private_page_answers(phone, page)


def test_a_password_reset_ends_every_session_of_the_account(app, sign_in):
    organization = OrganizationFactory()
    user = member(organization=organization)
    page = f"/organismes/{organization.id}"
    stolen = app.test_client()
    sign_in(user, target=stolen)
    assert _private_page_answers(stolen, page)

    token = issue_token(user, TokenPurpose.RESET, timedelta(hours=2))
    db.session.commit()
    owner = app.test_client()
    url = f"/compte/reinitialiser/{token}"
    new_password = "a brand new passphrase"
    response = owner.post(
        url, data={"password": new_password, "confirm": new_password, "csrf_token": csrf_token(owner, url)}
    )
    assert response.status_code == 302

    assert not _private_page_answers(stolen, page)
    sign_in(user, password=new_password, target=owner)
    assert _private_page_answers(owner, page)


# -- item 13: no account enumeration -------------------------------------------------------------------
def test_unknown_known_and_locked_accounts_get_the_same_answer_for_the_same_work(app, client, verifications):
    """The same page and exactly one Argon2 verification for an unknown address, a wrong password
    and a locked account (even with its right password): neither the text nor the time taken
    tells them apart. (Time itself is measured by benchmarks, not tests.)"""
    known, locked = UserFactory(), UserFactory()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(locked.email, "wrong password!")
    db.session.commit()

    answers = {}
    for case, email, password in (
        ("unknown address", "nobody@example.org", PASSWORD),
        ("wrong password", known.email, "not the password"),
        ("locked account", locked.email, PASSWORD),
    ):
        token = csrf_token(client, "/compte/connexion")
        verifications.clear()
        response = client.post(
            "/compte/connexion", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 401, case
        assert len(verifications) == 1, case
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        answers[case] = re.sub(r'name="csrf_token"[^>]*>', "CSRF", page)

    assert answers["unknown address"] == answers["wrong password"] == answers["locked account"]
    assert "Adresse courriel ou mot de passe incorrect." in answers["locked account"]


def test_the_dummy_hash_is_not_computed_at_import():
    """The `grants` command starts without hashing anything: the hash verified for unknown
    addresses is made on first use."""
    code = (
        "import argon2\n"
        "calls = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda self, *a, **k: calls.append(1) or real(self, *a, **k)\n"
        "import grants.accounts.passwords as passwords\n"
        "print(len(calls))\n"
        "assert not passwords.verify_password(None, 'x')\n"
        "print(len(calls))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert output == ["0", "1"]
