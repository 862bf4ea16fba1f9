"""Who may load data: editors sign in with a password whose hash is in `.streamlit/secrets.toml`
(`[editors] name = "$argon2id$…"`, made with `python -m data hash-password`), or — where a
municipality configured it — with Streamlit's OIDC login (`[auth]`, editors listed by address in
`[editor_emails] list = [...]` or by group claim in `[editor_groups]`). Readers never need to sign in.

The right to edit is a signed, expiring token (HMAC-SHA256 over name and expiry, key from
`[editor_session] key` in secrets.toml, else a random key per server process), checked again on every
run — i.e. before every upload, import and undo — never a bare name in the session state. Streamlit
cannot set cookies from a script; served through `serve.py` (`uvicorn serve:app`, Streamlit's ASGI
`st.App`) the sign-in form posts to `/redaktion/anmelden`, which sets the token as an HttpOnly,
SameSite=Strict cookie that survives a reload until it expires (`[editor_session] hours`, default 8);
`/redaktion/abmelden` clears it. Failed sign-ins are limited per user and per client, take as long
for unknown as for known users, and are logged (logger ``integrationsmonitor.auth``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import defaultdict, deque

import streamlit as st

from data.passwords import DUMMY_HASH, verify_password
from settings import event, secret_section

log = logging.getLogger("integrationsmonitor.auth")

SESSION_KEY = "editor_token"
COOKIE = "integrationsmonitor_redaktion"
SIGN_IN_PATH, SIGN_OUT_PATH = "/redaktion/anmelden", "/redaktion/abmelden"
DEFAULT_HOURS = 8.0
MAX_FAILURES, WINDOW_SECONDS = 5, 15 * 60  # per user and per client
_PROCESS_KEY = secrets.token_bytes(32)


def _secret(section: str) -> dict:
    return secret_section(section)


def _signing_key() -> bytes:
    key = str(_secret("editor_session").get("key", ""))
    return key.encode() if key else _PROCESS_KEY


def session_hours() -> float:
    return float(_secret("editor_session").get("hours", DEFAULT_HOURS))


# --- tokens ---------------------------------------------------------------------------------------


def issue_token(
    name: str, now: float | None = None, hours: float | None = None, key: bytes | None = None
) -> str:
    """`<name>|<expiry>|<nonce>` in base64 with its HMAC: only the server can make one."""
    expires = int(
        (time.time() if now is None else now) + 3600 * (session_hours() if hours is None else hours)
    )
    payload = base64.urlsafe_b64encode(f"{name}|{expires}|{secrets.token_hex(8)}".encode()).decode()
    return f"{payload}.{_sign(payload, key)}"


def read_token(token: str | None, now: float | None = None, key: bytes | None = None) -> str | None:
    """The editor's name if the token is genuine, not expired and the editor is still configured."""
    if not token or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(payload, key)):
        return None
    try:
        name, expires, _ = base64.urlsafe_b64decode(payload.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    if (time.time() if now is None else now) >= int(expires):
        return None
    return name if name in _secret("editors") or name in _editor_emails() else None


def _sign(payload: str, key: bytes | None) -> str:
    return hmac.new(key or _signing_key(), payload.encode(), hashlib.sha256).hexdigest()


def _editor_emails() -> list[str]:
    return list(_secret("editor_emails").get("list", []))


# --- sign-in attempts -----------------------------------------------------------------------------


class Attempts:
    """Failed sign-ins per key (user or client) in a sliding window; thread-safe (sessions are threads)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_SECONDS):
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures[key]
            while times and times[0] <= now - self.window:
                times.popleft()
            return len(times) >= self.limit

    def fail(self, key: str, now: float | None = None) -> None:
        with self._lock:
            self._failures[key].append(time.monotonic() if now is None else now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


ATTEMPTS = Attempts()


def check_sign_in(
    name: str, password: str, client: str, editors: dict, attempts: Attempts = ATTEMPTS
) -> str | None:
    """A token for a correct name and password, else None. Always verifies one hash (a dummy one for
    an unknown user), so the answer takes as long either way; blocked users and clients get None
    without their password being looked at more closely."""
    user_key, client_key = f"user:{name}", f"client:{client}"
    stored = editors.get(name)
    correct = (
        verify_password(password, str(stored) if stored is not None else DUMMY_HASH) and stored is not None
    )
    if attempts.blocked(user_key) or attempts.blocked(client_key):
        event(log, logging.WARNING, "sign-in refused (too many failures)", user=name, client=client)
        return None
    if correct:
        attempts.clear(user_key)
        event(log, logging.INFO, "editor signed in", user=name, client=client, method="password")
        return issue_token(name)
    attempts.fail(user_key)
    attempts.fail(client_key)
    event(log, logging.WARNING, "failed sign-in", user=name, known=stored is not None, client=client)
    return None


def _client() -> str:
    """The client's address as the server sees it (behind a proxy: the proxy's, unless it passes
    `X-Forwarded-For`, which only a trusted proxy may set)."""
    forwarded = (
        st.context.headers.get("X-Forwarded-For", "") if _secret("editor_session").get("behind_proxy") else ""
    )
    return forwarded.split(",")[0].strip() or st.context.ip_address or "lokal"


# --- the page's side ------------------------------------------------------------------------------


def current_editor() -> str | None:
    """The signed-in editor's name, or None for a reader — checked afresh on every run."""
    token = st.session_state.get(SESSION_KEY) or st.context.cookies.get(COOKIE)
    name = read_token(token)
    if name is None and SESSION_KEY in st.session_state:
        del st.session_state[SESSION_KEY]  # expired or forged: the reader view again
    if name:
        return name
    if _secret("auth") and getattr(st.user, "is_logged_in", False):
        editor = oidc_editor(st.user.to_dict(), _editor_emails(), _secret("editor_groups"))
        if editor and not st.session_state.get("_oidc_logged"):
            st.session_state["_oidc_logged"] = True
            event(log, logging.INFO, "editor signed in", user=editor, client=_client(), method="oidc")
        return editor
    return None


def oidc_editor(claims: dict, emails: list[str], groups: dict) -> str | None:
    """The editor's e-mail address (else the `preferred_username`/`sub` claim) when the identity
    provider's token names them in `[editor_emails] list` or puts them in a group of
    `[editor_groups] list` (claim `[editor_groups] claim`, default `groups`: Keycloak's group mapper
    sends `/integrationsmonitor-redaktion`, ADFS a `group` or `role` claim); else None."""
    name = claims.get("email") or claims.get("preferred_username") or claims.get("sub")
    if not name:
        return None
    if claims.get("email") in emails:
        return str(name)
    member_of = claims.get(str(groups.get("claim", "groups")), [])
    member_of = [member_of] if isinstance(member_of, str) else list(member_of or [])
    wanted = {str(g).strip("/") for g in groups.get("list", [])}
    return str(name) if wanted & {str(g).strip("/") for g in member_of} else None


def require_editor() -> str:
    """The editor's name; stops the run for anyone else. Call it right before an upload, import or undo."""
    name = current_editor()
    if name is None:
        event(log, logging.WARNING, "editor action refused: no valid editor token", client=_client())
        st.error("Diese Aktion ist nur für angemeldete Redakteur:innen möglich. Bitte erneut anmelden.")
        st.stop()
    return name


def sign_in_form() -> None:
    """The sign-in for editors; explains how to set it up where nobody is configured yet."""
    editors = _secret("editors")
    if _secret("auth"):
        st.button("Mit dem Konto der Stadtverwaltung anmelden", on_click=st.login, type="primary")
    if not editors:
        if not _secret("auth"):
            st.warning(
                "Es ist noch kein Zugang für Redakteur:innen eingerichtet. Einen Passwort-Hash erzeugt "
                "`python -m data hash-password`; er gehört in `.streamlit/secrets.toml` unter `[editors]` "
                "(Vorlage: `.streamlit/secrets.toml.example`)."
            )
        return
    with st.form("sign_in"):
        name = st.text_input("Benutzername", key="sign_in_name")
        password = st.text_input("Passwort", type="password", key="sign_in_password")
        if st.form_submit_button("Anmelden", type="primary"):
            token = check_sign_in(name, password, _client(), editors)
            if token:
                st.session_state[SESSION_KEY] = token
                st.rerun()
            st.error(
                "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch, oder es gab zu viele "
                f"Fehlversuche (dann in {WINDOW_SECONDS // 60} Minuten erneut versuchen)."
            )


def sign_out() -> None:
    name = read_token(st.session_state.pop(SESSION_KEY, None))
    if name:
        event(log, logging.INFO, "editor signed out", user=name)
    if _secret("auth") and getattr(st.user, "is_logged_in", False):
        st.logout()
