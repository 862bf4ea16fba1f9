"""Who may load data: editors sign in with a password whose hash is in `.streamlit/secrets.toml`
(`[editors] name = "pbkdf2_sha256$…"`, made with `python -m data hash-password`), or — where a
municipality configured it — with Streamlit's OIDC login (`[auth]`, editors listed in
`[editor_emails] list = [...]`). Readers never need to sign in.
"""

from __future__ import annotations

import streamlit as st

from data.passwords import verify_password

SESSION_KEY = "editor"


def _secret(section: str) -> dict:
    try:
        return dict(st.secrets.get(section, {}))
    except FileNotFoundError:  # no secrets.toml at all
        return {}


def current_editor() -> str | None:
    """The signed-in editor's name, or None for a reader."""
    if st.session_state.get(SESSION_KEY):
        return st.session_state[SESSION_KEY]
    if _secret("auth") and getattr(st.user, "is_logged_in", False):
        email = st.user.get("email")
        if email and email in _secret("editor_emails").get("list", []):
            return email
    return None


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
            if name in editors and verify_password(password, str(editors[name])):
                st.session_state[SESSION_KEY] = name
                st.rerun()
            st.error("Benutzername oder Passwort ist falsch.")


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)
    if _secret("auth") and getattr(st.user, "is_logged_in", False):
        st.logout()
