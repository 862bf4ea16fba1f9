"""Only editors get in: signed expiring tokens, limited and logged failures, Argon2 hashes."""

from __future__ import annotations

import logging
import time

import pytest

from data.passwords import hash_password, needs_rehash, verify_password
from pages.components import auth
from pages.components.auth import Attempts, check_sign_in, issue_token, read_token

KEY = b"k" * 32
EDITORS = {"planung": hash_password("richtig-lang-genug")}


@pytest.fixture(autouse=True)
def configured(monkeypatch):
    sections = {"editors": EDITORS, "editor_session": {"key": KEY.decode(), "hours": 2}}
    monkeypatch.setattr(auth, "_secret", lambda section: dict(sections.get(section, {})))


def test_a_token_names_its_editor_until_it_expires():
    token = issue_token("planung", now=1_000.0, hours=1)
    assert read_token(token, now=1_000.0 + 3599) == "planung"
    assert read_token(token, now=1_000.0 + 3600) is None  # expired
    assert read_token(issue_token("planung")) == "planung"  # configured hours and key


def test_a_forged_or_replayed_name_is_no_token():
    token = issue_token("planung", hours=1)
    payload, signature = token.split(".")
    assert read_token("planung") is None  # a bare name in the session state is worth nothing
    assert read_token(f"{payload}.{'0' * len(signature)}") is None
    assert read_token(issue_token("planung", hours=1, key=b"x" * 32)) is None  # another server's key
    assert read_token(issue_token("ehemalig", hours=1)) is None  # no longer an editor


def test_failures_are_limited_per_user_and_per_client_and_logged(caplog):
    attempts = Attempts(limit=3, window=60)
    caplog.set_level(logging.INFO, "integrationsmonitor.auth")
    for _ in range(3):
        assert check_sign_in("planung", "falsch", "10.0.0.1", EDITORS, attempts) is None
    assert (
        check_sign_in("planung", "richtig-lang-genug", "10.0.0.2", EDITORS, attempts) is None
    )  # user blocked
    for name in ("a", "b", "c"):
        check_sign_in(name, "x", "10.0.0.3", EDITORS, attempts)
    assert attempts.blocked("client:10.0.0.3")
    assert check_sign_in("planung", "richtig-lang-genug", "10.0.0.4", EDITORS, Attempts()) is not None
    text = caplog.text
    assert "failed sign-in" in text and "too many failures" in text and "editor signed in" in text
    assert "falsch" not in text  # passwords never reach the log


def test_unknown_and_known_users_take_the_same_time():
    def seconds(name: str) -> float:
        start = time.perf_counter()
        check_sign_in(name, "falsch", "10.0.0.9", EDITORS, Attempts(limit=100))
        return time.perf_counter() - start

    known = min(seconds("planung") for _ in range(3))
    unknown = min(seconds("niemand") for _ in range(3))
    assert abs(known - unknown) < 0.5 * max(known, unknown)  # both verify one Argon2 hash


def test_argon2_hashes_and_the_first_format_still_verify():
    new = hash_password("geheim")
    assert new.startswith("$argon2id$") and verify_password("geheim", new) and not verify_password("x", new)
    old = hash_password("geheim", iterations=1_000)
    assert old.startswith("pbkdf2_sha256$") and verify_password("geheim", old) and needs_rehash(old)
    assert not needs_rehash(new) and not verify_password("geheim", "kaputt")


def test_a_signed_out_token_stops_counting_and_the_client_is_the_proxys_word_only_when_trusted(monkeypatch):
    from pages.components.auth import client_address, signed_out

    token, other = issue_token("planung", hours=1), issue_token("planung", hours=1)
    assert signed_out(token) == "planung"
    assert read_token(token) is None and read_token(other) == "planung"  # only that sign-in ends
    assert signed_out("kaputt") is None
    headers = {"X-Forwarded-For": "10.0.0.7, 10.0.0.1"}
    monkeypatch.setattr(
        auth, "_secret", lambda section: {"behind_proxy": True} if section == "editor_session" else {}
    )
    assert client_address(headers, "127.0.0.1") == "10.0.0.7"
    monkeypatch.setattr(auth, "_secret", lambda section: {})
    assert client_address(headers, "127.0.0.1") == "127.0.0.1"  # anybody can send that header
    assert client_address({}, None) == "lokal"
