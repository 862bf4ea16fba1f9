"""Who may load data: editors sign in with a password whose hash is in `.streamlit/secrets.toml`
(`[editors] name = "$argon2id$…"`, made with `python -m data hash-password`), or — where a
municipality configured it — with Streamlit's OIDC login (`[auth]`, editors listed by address in
`[editor_emails] list = [...]` or by group claim in `[editor_groups]`). Readers never need to sign in.

The right to edit is a signed, expiring token (HMAC-SHA256 over name and expiry, key from
`[editor_session] key` in secrets.toml, else a random key per server process), checked again on every
run — i.e. before every upload, import and undo — never a bare name in the session state. Streamlit
cannot set cookies from a script; served through `serve.py` (`streamlit run serve.py`, Streamlit's
ASGI `st.App`) the sign-in is a plain HTML form posting to `/redaktion/anmelden`, which sets the token
as an HttpOnly, SameSite=Strict cookie that survives a reload until it expires (`[editor_session]
hours`, default 8); `/redaktion/abmelden` clears it. Then only that cookie counts (`use_cookie`): the
password never passes Streamlit's websocket, and a token in the session state or a replayed session
id is worth nothing. Started as `streamlit run app.py` (no routes), the Streamlit form below keeps the
token in the session state instead: that lasts until the tab is closed or reloaded. Failed sign-ins
are limited per user and per client, take as long for unknown as for known users, and are logged
(logger ``integrationsmonitor.auth``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
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
_COOKIE_ONLY = False  # set by serve.py: the editor's right is the cookie's token, nothing else
_SIGNED_OUT: set[str] = set()  # tokens signed out before they expired (this process)


def use_cookie() -> None:
    """Called by serve.py, which serves the sign-in routes: from now on only the cookie counts."""
    global _COOKIE_ONLY
    _COOKIE_ONLY = True


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
    if not token or token.count(".") != 1 or token in _SIGNED_OUT:
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


def signed_out(token: str | None) -> str | None:
    """Forget a token before it expires (sign-out); the editor's name if it was valid."""
    name = read_token(token)
    if name:
        _SIGNED_OUT.add(str(token))
        event(log, logging.INFO, "editor signed out", user=name)
    return name


def client_address(headers, ip_address: str | None) -> str:
    """The client's address as the server sees it (behind a proxy: the proxy's, unless it passes
    `X-Forwarded-For`, which only a trusted proxy may set: `[editor_session] behind_proxy`)."""
    forwarded = headers.get("X-Forwarded-For", "") if _secret("editor_session").get("behind_proxy") else ""
    return forwarded.split(",")[0].strip() or ip_address or "lokal"


def _client() -> str:
    return client_address(st.context.headers, st.context.ip_address)


# --- the page's side ------------------------------------------------------------------------------


def current_editor() -> str | None:
    """The signed-in editor's name, or None for a reader — checked afresh on every run. Served by
    serve.py only the cookie's token counts (the session state may belong to a replayed session)."""
    token = st.context.cookies.get(COOKIE) if _COOKIE_ONLY else st.session_state.get(SESSION_KEY)
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
    if _COOKIE_ONLY:
        st.html(sign_in_html())
        return
    with st.form("sign_in"):
        name = st.text_input("Benutzername", key="sign_in_name")
        password = st.text_input("Passwort", type="password", key="sign_in_password")
        if st.form_submit_button("Anmelden", type="primary"):
            token = check_sign_in(name, password, _client(), editors)
            if token:
                st.session_state[SESSION_KEY] = token
                st.rerun()
            st.error(FAILED)


# Streamlit's look for the plain forms (st.html renders them without Streamlit's widget styles)
FORM_CSS = """<style>
.im-sign-in { max-width: 24rem; } .im-sign-in label { font-size: .875rem; }
.im-sign-in input { font: inherit; width: 100%; box-sizing: border-box; padding: .45rem .6rem;
  border: 1px solid #8a9099; border-radius: .5rem; background: #f2f4f6; color: #0e1116; }
.im-sign-in button, .im-sign-out { font: inherit; padding: .4rem .9rem; border-radius: .5rem; cursor: pointer;
  border: 1px solid #1f5f8b; background: #1f5f8b; color: #ffffff; }
.im-sign-out { background: #ffffff; color: #0e1116; border-color: #8a9099; }
.im-sign-in input:focus-visible, .im-sign-in button:focus-visible, .im-sign-out:focus-visible {
  outline: 3px solid #1f5f8b; outline-offset: 2px; }
.im-error { color: #a4262c; font-weight: bold; }
</style>"""


FAILED = (
    "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch, oder es gab zu viele "
    f"Fehlversuche (dann in {WINDOW_SECONDS // 60} Minuten erneut versuchen)."
)


def sign_out_button(where) -> None:
    """Abmelden: served by serve.py a form posting to the sign-out route (which clears the cookie)."""
    if _COOKIE_ONLY and st.context.cookies.get(COOKIE):
        where.html(
            f'{FORM_CSS}<form method="post" action="{SIGN_OUT_PATH}"><button type="submit" class="im-sign-out">'
            "Abmelden</button></form>"
        )
    else:
        where.button("Abmelden", on_click=sign_out)


def sign_in_html(message: str = "", name: str = "") -> str:
    """The sign-in form posting to serve.py's route: on the page *Daten laden* and, after a failed
    attempt, on the route's own page. The password goes from the browser to that route only."""
    error = f'<p role="alert" class="im-error">{html.escape(message)}</p>' if message else ""
    return f"""{FORM_CSS}<form method="post" action="{SIGN_IN_PATH}" class="im-sign-in" aria-label="Anmeldung">
{error}<p><label for="im-name">Benutzername</label><br>
<input id="im-name" name="username" autocomplete="username" required value="{html.escape(name)}"></p>
<p><label for="im-password">Passwort</label><br>
<input id="im-password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Anmelden</button></p>
</form>"""


def sign_out() -> None:
    """The Streamlit button's sign-out: the token stops counting in this process (served by serve.py
    the cookie itself is cleared by the form of `sign_out_button`)."""
    signed_out(st.session_state.pop(SESSION_KEY, None))
    if _COOKIE_ONLY:
        signed_out(st.context.cookies.get(COOKIE))
    if _secret("auth") and getattr(st.user, "is_logged_in", False):
        st.logout()
