"""The Integrationsmonitor as a web server: `streamlit run serve.py` (or `uvicorn serve:app`).

Streamlit's ASGI `st.App` (1.67, Starlette) runs app.py as `streamlit run app.py` would, plus:

- **Editors sign in with a cookie.** `POST /redaktion/anmelden` checks name and password
  (pages/components/auth.py: Argon2, limited per user and per client, as slow for unknown users,
  logged) and sets the signed, expiring token as an HttpOnly, SameSite=Strict cookie (Secure over
  https); `POST /redaktion/abmelden` clears it. Both answer only requests from the app's own pages
  (Origin, else the browser's Sec-Fetch-Site). The password never passes Streamlit's websocket or a
  URL; the pages read the token from the cookie at every run (`auth.use_cookie`).
- **Only editors upload.** Streamlit's upload endpoint refuses a file without a valid token.
- **Warm-up** (issue 17): before the port serves anybody, the libraries are imported and the
  default views of the newest Stichtag built into the shared caches (at most `WARM_UP_SECONDS`,
  logged), so the first reader does not wait for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from pages.components import auth
from settings import configure_logging, event, secret_section

log = logging.getLogger("integrationsmonitor.serve")

AFTER_SIGN_IN = "/daten_laden"  # the page "Daten laden" (its url_path in app.py)
UPLOAD_PATH = "/_stcore/upload_file"
MAX_FORM_BYTES = 4096
WARM_UP_SECONDS = 60.0

PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anmeldung – Integrationsmonitor</title>
<style>body {{ font-family: sans-serif; color: #0e1116; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }}
a {{ color: #1f5f8b; }}</style></head>
<body><main><h1>Anmeldung für Redakteur:innen</h1>
{form}
<p><a href="{back}">Zurück zum Integrationsmonitor</a></p></main></body></html>"""


def same_origin(request: Request) -> bool:
    """The form was sent by a page of this server: its Origin names this host (behind nginx without
    the port), or — where the page's Referrer-Policy makes the browser send `Origin: null` — the
    browser itself says `Sec-Fetch-Site: same-origin`. Anything else is a cross-site request."""
    origin, host = request.headers.get("origin", ""), request.headers.get("host", "")
    if origin and origin != "null":
        netloc = urlsplit(origin).netloc
        return bool(host) and (netloc == host or (":" not in host and urlsplit(origin).hostname == host))
    return request.headers.get("sec-fetch-site") == "same-origin"


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _client(request: Request) -> str:
    return auth.client_address(request.headers, request.client.host if request.client else None)


def _page(form: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(form=form, back=AFTER_SIGN_IN), status, headers={"Cache-Control": "no-store"}
    )


async def _form(request: Request) -> dict[str, str] | None:
    """The url-encoded form of a small request, or None when it is larger than a sign-in can be."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {key: values[0] for key, values in fields.items()}


def _refused(request: Request, what: str) -> PlainTextResponse:
    event(log, logging.WARNING, f"{what} refused (foreign origin)", client=_client(request),
          origin=request.headers.get("origin", ""))  # fmt: skip
    return PlainTextResponse(
        "Anfrage abgelehnt: Sie kam nicht von einer Seite des Integrationsmonitors.", 403
    )


async def sign_in(request: Request) -> Response:
    if request.method == "GET":
        return _page(auth.sign_in_html())
    if not same_origin(request):
        return _refused(request, "sign-in")
    form = await _form(request)
    if form is None:
        return PlainTextResponse("Anfrage zu groß.", 413)
    name = form.get("username", "").strip()
    token = await run_in_threadpool(
        auth.check_sign_in, name, form.get("password", ""), _client(request), secret_section("editors")
    )
    if token is None:
        return _page(auth.sign_in_html(auth.FAILED, name), 401)
    response = RedirectResponse(AFTER_SIGN_IN, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        auth.COOKIE,
        token,
        max_age=int(3600 * auth.session_hours()),
        path="/",
        secure=_https(request),
        httponly=True,
        samesite="strict",
    )
    return response


async def sign_out(request: Request) -> Response:
    if not same_origin(request):
        return _refused(request, "sign-out")
    auth.signed_out(request.cookies.get(auth.COOKIE))
    response = RedirectResponse(AFTER_SIGN_IN, status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(auth.COOKIE, path="/", secure=_https(request), httponly=True, samesite="strict")
    return response


class EditorsOnlyUploads:
    """Streamlit's upload endpoint takes files only from a browser holding a valid editor token (the
    page checks the token again before it imports; this keeps readers' files out of the memory)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(UPLOAD_PATH)
            and scope["method"] in {"PUT", "POST"}
        ):
            request = Request(scope)
            if auth.read_token(request.cookies.get(auth.COOKIE)) is None:
                event(log, logging.WARNING, "upload refused: no valid editor token", client=_client(request))
                await PlainTextResponse("Nur angemeldete Redakteur:innen können Dateien hochladen.", 403)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _warm_up() -> list[str]:
    from pages.components.access import warm_up

    return warm_up()


@asynccontextmanager
async def lifespan(_app):
    """Warm-up before the port serves anybody: bounded by WARM_UP_SECONDS (then it goes on in the
    background and the server starts anyway), and a failure is logged, never fatal."""
    started = time.perf_counter()
    try:
        built = await asyncio.wait_for(asyncio.to_thread(_warm_up), WARM_UP_SECONDS)
        event(log, logging.INFO, "warm-up finished", seconds=round(time.perf_counter() - started, 2),
              built="; ".join(built) or "nothing (empty database)")  # fmt: skip
    except TimeoutError:
        event(log, logging.WARNING, "warm-up still running, serving anyway", seconds=WARM_UP_SECONDS)
    except Exception as err:  # noqa: BLE001 - the app reports a broken database to its readers itself
        event(log, logging.ERROR, "warm-up failed", error=f"{type(err).__name__}: {err}")
    yield


configure_logging()
auth.use_cookie()
app = st.App(
    "app.py",
    routes=[
        Route(auth.SIGN_IN_PATH, sign_in, methods=["GET", "POST"]),
        Route(auth.SIGN_OUT_PATH, sign_out, methods=["POST"]),
    ],
    middleware=[Middleware(EditorsOnlyUploads)],
    lifespan=lifespan,
)
