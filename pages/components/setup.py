"""What every page starts with (`page_setup`) and how every chart is shown (`show_charts`)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NoReturn

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import settings
from charts.plotly_locale import PLOTLY_LOCALE_CONFIG
from charts.sentences import markdown_safe
from charts.texts import APP_TITLE, PAGE_FAILED, SYNTHETIC_NOTE, level_title, missing_text
from charts.view import ChartView, Filters, Source
from data.store import Store
from pages.components.access import data_source, get_store
from pages.components.auth import current_editor
from pages.components.downloads import chart_downloads

log = logging.getLogger("integrationsmonitor")
POPULATION = "Einwohnerzahlen"

# plotly.js fetches its world base map from here instead of a CDN (see static/README.md) and speaks
# German from the definition shipped in charts/plotly_locale.py (modebar, hints, month names). Charts
# are shown with theme=None: Streamlit's theme would grey the axis text (3.7:1 on white); without it the
# screen shows the figure as built, as the PNG/SVG exports and the Sitzungsbericht do.
PLOTLY_CONFIG = {
    "topojsonURL": "app/static/",
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    **PLOTLY_LOCALE_CONFIG,
}

# The presented chart's height on a 1024×768 beamer (measured in Chromium, tests/test_browser.py):
# 16 px page margin, 40 px "Einstellungen dieser Seite", 40 px step buttons and the gaps put the chart
# at 128 px; below it the first summary sentence (two lines at 1024 px) and a one-line note must fit.
BEAMER_HEIGHT = 520

# Presentation mode: no sidebar, header or toolbar; the invisible elements at the top of the page (the
# frame's CSS and script, this CSS, the hidden h1) take no gap of 1rem each, so the chart moves up.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], footer { display: none !important; }
.block-container { padding-top: 1rem !important; max-width: 100% !important; }
.block-container > [data-testid="stVerticalBlock"] > [data-testid="stElementContainer"]:has(style, .visually-hidden) {
    margin-bottom: -1rem; }
</style>
"""


# What every page of the frame gets (WCAG 2.1 AA, see pages/barrierefreiheit.py and
# tests/test_accessibility.py): captions in a text colour with 7:1 on white instead of Streamlit's body
# colour at 60 % opacity (4.4:1); a visible keyboard focus on links, nav links included; a class that
# hides a heading from the eye only (the presentation mode's h1).
FRAME_CSS = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #4a4f55 !important; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
a:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible, summary:focus-visible {
    outline: 3px solid #1f5f8b !important; outline-offset: 2px !important; }
.visually-hidden, .skip-link:not(:focus) { position: absolute !important; width: 1px; height: 1px;
    padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link:focus { display: inline-block; padding: 0.25rem 0.5rem; background: #ffffff; color: #1f5f8b; }
</style>
"""
# Streamlit's index.html hard-codes <html lang="en"> (no option): the page says German once it runs,
# and the link of the current page in our sidebar navigation carries aria-current="page". The shipped
# nginx Content-Security-Policy allows this inline script by its sha256 (tests/test_deploy.py checks).
FRAME_SCRIPT = """
<script>
(() => {
  const doc = window.parent ? window.parent.document : document;
  const mark = () => {
    if (doc.documentElement.lang !== "de") doc.documentElement.lang = "de";
    const here = doc.title.split(" – ")[0];  // the page title, as set by app.py (document_title)
    doc.querySelectorAll('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]').forEach((a) => {
      const label = a.querySelector('[data-testid="stMarkdownContainer"]');
      const current = label !== null && label.innerText.trim() === here;
      if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
  };
  mark();
  if (!doc.documentElement.dataset.langObserver) {
    doc.documentElement.dataset.langObserver = "1";
    new MutationObserver(mark).observe(doc, {childList: true, subtree: true, characterData: true});
  }
})();
</script>
"""
TABLE_ROWS = 60  # longer tables under a chart are cut here; the CSV download holds every row


def data_grid(frame, key: str, **kwargs) -> None:
    """`st.dataframe` with a skip link before it: a keyboard user can jump past the grid ("Tabelle
    überspringen", visible when it has the focus) instead of stepping through it."""
    anchor = "nach-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
    st.html(f'<a class="skip-link" href="#{anchor}">Tabelle überspringen</a>')
    st.dataframe(frame, key=key, **kwargs)
    st.html(f'<span id="{anchor}" tabindex="-1"></span>')


def document_title(page_title: str, municipality: str | None) -> str:
    """The browser tab and the screen reader's first words: "Karte – Integrationsmonitor Musterstadt"."""
    return f"{page_title} – {APP_TITLE}" + (f" {municipality}" if municipality else "")


def frame_head() -> None:
    """Per run, first of all: German page language and the frame's CSS (also on an error page)."""
    st.html(FRAME_CSS + FRAME_SCRIPT, unsafe_allow_javascript=True)


@dataclass
class Page:
    store: Store
    source: Source  # what the view functions in `charts` read from (cached per database version)
    filters: Filters
    controls: DeltaGenerator  # where a page puts its own widgets: folded away in presentation mode
    compact: bool = False  # a phone: charts lay out their legends for a narrow screen


def page_setup(title: str, needs: str | None = POPULATION) -> Page:
    """Heading, demo notice and the shared filters (rendered in the sidebar by app.py). A page that
    `needs` population figures says so and stops for a municipality without them."""
    ensure_router()
    filters: Filters = st.session_state["filters"]
    if filters.presentation:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        # one h1 in presentation mode too: for screen readers, not on the beamer (the chart has a title)
        st.html(f'<h1 class="visually-hidden">{html.escape(level_title(title, filters.level))}</h1>')
        controls = st.expander("Einstellungen dieser Seite", expanded=False)
    else:
        st.title(level_title(title, filters.level))
        st.caption(
            markdown_safe(
                " · ".join(
                    [filters.municipality] + [f"Stichtag {filters.date_text}"] * bool(filters.date_text)
                )
            )
        )
        if filters.synthetic:
            st.info(SYNTHETIC_NOTE, icon=":material/science:")
        controls = st.container()
    store = get_store()
    page = Page(
        store=store, source=data_source(store), filters=filters, controls=controls, compact=_on_phone()
    )
    if needs == POPULATION and not filters.dates:
        say_missing(page, POPULATION)
    return page


def ensure_router() -> None:
    """A page opened by deep link before app.py ran: run the router first (see `_run_router_first`)."""
    if "filters" not in st.session_state:
        _run_router_first()


def say_missing(page: Page, what: str) -> NoReturn:
    """Readers read in German what is not loaded for the chosen municipality; editors also get the way
    to load it. Stops the page."""
    st.info(missing_text(page.filters.municipality, what), icon=":material/info:")
    if current_editor() is not None:
        st.page_link("pages/daten_laden.py", label="Daten laden", icon=":material/upload_file:")
    st.stop()


def run_guarded(run: Callable[[], object]) -> None:
    """Run a page; whatever goes wrong is logged with its traceback and the reader reads German."""
    try:
        run()
    except Exception:  # st.stop and st.rerun are no Exception: they pass
        log.exception("Seite fehlgeschlagen")
        st.error(PAGE_FAILED, icon=":material/error:")


def _on_phone() -> bool:
    """A narrow screen, told by the browser's user agent (the server cannot see the window width)."""
    agent = st.context.headers.get("User-Agent", "") if st.context.headers else ""
    return any(mark in agent for mark in ("Mobi", "iPhone", "Android"))


def _run_router_first() -> None:
    """A deep link (`/karte`) right after server start runs the page without app.py.

    Streamlit treats a folder named `pages/` as a legacy page folder until `st.navigation` has run
    once in the server process. Switch that off and rerun, so app.py (router, sidebar) runs first.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if st.session_state.get("_router_retry"):
        st.error("Die Seite kann nur über die App geöffnet werden: streamlit run app.py")
        st.stop()
    st.session_state["_router_retry"] = True
    PagesManager.uses_pages_directory = False
    st.rerun()


def fit_to_screen(figure: go.Figure) -> go.Figure:
    """The presented chart no taller than a 1024×768 beamer shows below the step buttons (the server
    cannot see the screen: this is the smallest one a council room has). A tall ranking is squeezed,
    and the names on its axis get smaller as its plot area does (at least 10 px), so plotly.js still
    writes every name instead of every second one."""
    height = figure.layout.height or BEAMER_HEIGHT
    fitted = go.Figure(figure).update_layout(height=min(height, BEAMER_HEIGHT))
    if height > BEAMER_HEIGHT and any(getattr(t, "orientation", None) == "h" for t in figure.data):
        size = fitted.layout.yaxis.tickfont.size or fitted.layout.font.size or 13
        # the bars share the plot area, not the whole height: a wrapped title or source takes its part
        margins = (fitted.layout.margin.t or 0) + (fitted.layout.margin.b or 0)
        ratio = max(BEAMER_HEIGHT - margins, 1) / max(height - margins, 1)
        fitted.update_yaxes(tickfont_size=max(10, int(size * ratio)))
    return fitted


def _next_page_button(where: DeltaGenerator, pos_key: str) -> bool:
    """ "Nächste Seite ▶" to the next page of the talk, with every setting in the URL; False on the last
    page (no button)."""
    following = st.session_state.get("next_page")
    if following is None:
        return False
    if where.button("Nächste Seite ▶", key=f"{pos_key}-page", type="primary", width="stretch"):
        st.switch_page(following, query_params=st.query_params.to_dict())
    return True


def chart_summary(sentences: list[str]) -> None:
    """What the chart shows in plain words, directly under it, as one paragraph in the body text
    colour (names come from files: escaped, never Markdown)."""
    if sentences:
        st.markdown(markdown_safe(" ".join(sentences)))


def chart_table(view: ChartView, key: str) -> None:
    """The numbers of a chart as a real HTML table under it, folded in an expander that a keyboard
    opens (Enter/Space): screen readers and people who cannot hover reach every value."""
    table = view.text_table()
    with st.expander(f"Tabelle zur Grafik: {view.title}", expanded=False, key=f"{key}-a11y-table"):
        if len(table) > TABLE_ROWS:
            st.caption(
                f"Die ersten {TABLE_ROWS} von {len(table)} Zeilen; alle Zeilen enthält die CSV-Datei "
                "(„Tabelle herunterladen“)."
            )
            table = table.head(TABLE_ROWS)
        st.table(table.set_index(table.columns[0]) if len(table.columns) > 1 else table)


def legal_links() -> dict[str, str]:
    """Impressum, Datenschutz and the contact for accessibility feedback, as the operator enters them
    in `.streamlit/secrets.toml` under `[legal]` (keys: imprint_url, privacy_url, contact_email,
    contact_phone, operator); missing keys are left out."""
    section = settings.secret_section("legal")
    return {k: str(v).strip() for k, v in section.items() if str(v).strip()}


def sidebar_navigation(where: DeltaGenerator, groups: dict[str, list[st.Page]]) -> None:
    """The page links as plain links under group names (Streamlit's own navigation nests list items
    in <div>s, which screen readers announce as broken lists: WCAG 1.3.1)."""
    for group, pages in groups.items():
        where.markdown(f"**{group}**")
        for page in pages:
            where.page_link(page, label=page.title, icon=page.icon, width="stretch")


def sidebar_footer(where: DeltaGenerator, accessibility: st.Page) -> None:
    """Erklärung zur Barrierefreiheit, Impressum and Datenschutz at the end of the sidebar."""
    where.divider()
    where.page_link(accessibility, label=accessibility.title, icon=accessibility.icon, width="stretch")
    legal = legal_links()
    links = [
        f"[{label}]({legal[key]})"
        for key, label in (("imprint_url", "Impressum"), ("privacy_url", "Datenschutz"))
        if key in legal
    ]
    where.markdown(" · ".join(links) if links else "Impressum und Datenschutz: noch nicht eingetragen.")


def _leave_presentation() -> None:
    st.session_state["presentation"] = False


def _step(pos_key: str, delta: int) -> None:
    st.session_state[pos_key] = st.session_state.get(pos_key, 0) + delta


def show_charts(page: Page, views: list[ChartView | None], key: str) -> None:
    """All charts one below the other, each with its notes, the table behind it and its downloads;
    in presentation mode one per screen with buttons to step. A chart withheld from readers is
    replaced by the sentence that says why (and left out of the presentation)."""
    views = [v for v in views if v is not None]
    if not page.filters.presentation:
        for view in views:
            if not view.shown:
                st.caption(markdown_safe(view.withheld))
                continue
            st.plotly_chart(view.figure, config=PLOTLY_CONFIG, theme=None, key=f"{key}-{view.title}")
            chart_summary(view.summary)
            for note in view.notes:
                st.caption(markdown_safe(note))
            if (view.figure.layout.meta or {}).get("excerpt"):  # the chart shows a part: all of it here
                data_grid(view.text_table(), hide_index=True, height=320, key=f"{key}-{view.key}-table")
            else:
                chart_table(view, key=f"{key}-{view.key}")
            chart_downloads(view, key=f"{key}-{view.key}", images=page.filters.public)
            if not page.filters.public:
                st.caption(
                    "Bilder zum Herunterladen gibt es nur in der öffentlichen Ansicht (exakte Werte aus)."
                )
        return
    views = [v for v in views if v.shown]
    if not views:
        _next_page_button(st, f"{key}-slide")
        return
    pos_key = f"{key}-slide"
    index = min(st.session_state.get(pos_key, 0), len(views) - 1)
    st.session_state[pos_key] = index
    back, info, forward, leave = st.columns([2, 3, 2, 3], vertical_alignment="center")
    back.button(
        "◀ Zurück",
        key=f"{pos_key}-back",
        disabled=index == 0,
        width="stretch",
        on_click=_step,
        args=(pos_key, -1),
    )
    if index < len(views) - 1 or not _next_page_button(forward, pos_key):
        forward.button(
            "Weiter ▶",
            key=f"{pos_key}-next",
            disabled=index >= len(views) - 1,
            width="stretch",
            on_click=_step,
            args=(pos_key, 1),
        )
    info.markdown(f"**Grafik {index + 1} von {len(views)}**")
    leave.button(
        "Präsentation beenden", key=f"{pos_key}-leave", on_click=_leave_presentation, width="stretch"
    )
    view = replace(views[index], figure=fit_to_screen(views[index].figure))
    st.plotly_chart(view.figure, config=PLOTLY_CONFIG, theme=None, key=f"{key}-presented")
    chart_summary(view.summary[:1])  # on the beamer the first sentence only: the chart speaks
    for note in view.notes:
        st.caption(markdown_safe(note))
    chart_table(view, key=f"{key}-presented-{view.key}")
