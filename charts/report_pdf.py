"""The Sitzungsbericht as a tagged PDF (PDF/UA-1) a city can attach to a Vorlage as it is.

HTML and CSS paged media, laid out and tagged by WeasyPrint: headings H1/H2/H3, paragraphs, tables
with header cells (the header row repeated on every page a table continues on), every chart an SVG
figure with its alt text, document language de-DE, the title in the metadata and shown as window
title. Header and footer ("Seite n von N") are marked as pagination artifacts afterwards, so a screen
reader does not read them on every page. Fonts come from the system (DejaVu); nothing is fetched
from anywhere: `OfflineFetcher` refuses every URL but data: and files inside the repository or the
temporary folder.
"""

from __future__ import annotations

import base64
import html
import io
import mimetypes
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pikepdf
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from charts.export import PRINT, render
from charts.formatting import fmt_date
from charts.report import REPORT_TITLE, Report, _untitled, alt_text

REPO = Path(__file__).resolve().parents[1]
STYLESHEET = Path(__file__).with_name("report_pdf.css")


class RefusedURL(FatalURLFetchingError):
    """A URL the report may not load: it stops the rendering instead of leaving a gap."""


class OfflineFetcher(URLFetcher):
    """Loads data: URLs and files inside the repository or the temporary folder, nothing else: no
    request leaves the machine, whatever a logo path or an SVG asks for."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "file"), fail_on_errors=True)
        self.roots = (REPO, Path(tempfile.gettempdir()).resolve())

    def fetch(self, url, headers=None):
        parts = urlparse(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and not parts.netloc:
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots):
                return super().fetch(url, headers)
        raise RefusedURL(f"Der Bericht lädt nichts von außen: {url[:80]}")


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def report_html(report: Report) -> str:
    """The whole report as one HTML document, every picture inline as a data: URI."""
    title = f"{REPORT_TITLE}: {report.subtitle}"
    logo = ""
    if report.logo:
        mime = mimetypes.guess_type(str(report.logo))[0] or "image/png"
        logo = (
            f'<img class="logo" src="{_data_uri(Path(report.logo).read_bytes(), mime)}" '
            f'alt="{_e(report.publisher or "Logo")}">'
        )
    contents = sections(report).items()
    parts = [
        f"""<!doctype html>
<html lang="de-DE"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="author" content="{_e(report.municipality)}">
<meta name="description" content="Integrationsmonitor, {_e(report.municipality)}, Stichtag {
            fmt_date(report.reference_date)
        }">
<meta name="keywords" content="Integrationsmonitor, Sitzungsbericht, Stadtteile">
<meta name="generator" content="Integrationsmonitor">
<meta name="dcterms.created" content="{report.created.isoformat(timespec="seconds")}">
<style>{STYLESHEET.read_text(encoding="utf-8")}
@page {{ @top-left {{ content: "{_css(f"{REPORT_TITLE} · {report.subtitle}")}" }}
  @top-right {{ content: "{_css(report.created_text)}" }}
  @bottom-left {{ content: "{_css(f"Integrationsmonitor · {report.municipality}")}" }} }}
@page :first {{ @top-left {{ content: none }} @top-right {{ content: none }} }}</style>
</head><body>
<section class="title-page">{logo}
<h1>{_e(REPORT_TITLE)}</h1>
<p class="municipality">{_e(report.municipality)}</p>
<p class="when">Stichtag {_e(fmt_date(report.reference_date))}</p>
<p class="where">Stadtteile: {_e(report.where)}</p>
<p class="created">{_e(report.created_text.capitalize())}</p>
<p class="publisher">{_e(report.publisher or "Integrationsmonitor")}</p>
</section>
<nav class="contents" aria-label="Inhalt"><h2>Inhalt</h2><ul>""",
        *(f'<li><a href="#{anchor}">{_e(text)}</a></li>' for anchor, text in contents),
        "</ul></nav>",
    ]
    for number, chart in enumerate(report.charts, start=1):
        svg = render(_untitled(chart.figure), "svg", PRINT, chart.notes)
        table = chart.text_table()
        head = "".join(f'<th scope="col">{_e(c)}</th>' for c in table.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
            for row in table.itertuples(index=False)
        )
        notes = "".join(f"<p>{_e(note)}</p>" for note in chart.notes)
        parts.append(
            f'<section class="chart"><div class="picture"><h2 id="grafik-{number}">{_e(chart.title)}</h2>'
            f'<img src="{_data_uri(svg, "image/svg+xml")}" alt="{_e(alt_text(chart))}"></div>'
            f'<div class="table-and-notes"><h3>Tabelle: {_e(chart.title)}</h3>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f'<div class="notes">{notes}</div></div></section>'
        )
    parts.append('<section class="method"><h2 id="methodik">Methodik und Hinweise</h2>')
    parts += [f"<h3>{_e(heading)}</h3><p>{_e(text)}</p>" for heading, text in report.methodology]
    parts.append("</section></body></html>")
    return "\n".join(parts)


def sections(report: Report) -> dict[str, str]:
    """Anchor → heading of every section the contents list."""
    out = {f"grafik-{n}": chart.title for n, chart in enumerate(report.charts, start=1)}
    out["methodik"] = "Methodik und Hinweise"
    return out


def _css(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_pdf(report: Report) -> bytes:
    """A4 landscape PDF/UA-1: title page, contents with page numbers, per chart the SVG with its whole
    table (continued over pages with the header row repeated) and its notes, then the methodology;
    header and footer with "Seite n von N" on every page."""
    document = HTML(string=report_html(report), base_url=REPO.as_uri() + "/", url_fetcher=OfflineFetcher())
    raw = document.write_pdf(
        pdf_variant="pdf/ua-1",
        pdf_identifier=False,
        uncompressed_pdf=False,
    )
    return finish_tags(raw, sections(report))


def finish_tags(raw: bytes, sections: dict[str, str]) -> bytes:
    """Two things WeasyPrint leaves short of PDF/UA-1. It marks header and footer text (the page-margin
    boxes) with an MCID but leaves their structure elements out of the tree, so that text is neither
    tagged nor an artifact: mark it as a pagination artifact and drop it from the parent tree. And a
    link's description (/Contents) is its anchor name: write the section it leads to (`sections`:
    anchor → heading). Besides, it builds the structure page by page: a section or table that runs
    on over pages is joined into one element here (`_join_fragments`)."""
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots") or []:
                heading = sections.get(str(annotation.get("/Dest", "")))
                if heading is not None:
                    annotation.Contents = pikepdf.String(f"Zum Abschnitt „{heading}“")
        pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        parents = pdf.Root.StructTreeRoot.ParentTree.Nums
        _join_fragments(pdf.Root.StructTreeRoot.K[0], pages, parents)
        reached = _reached(pdf.Root.StructTreeRoot, pages)
        for n, page in enumerate(pdf.pages):
            instructions = pikepdf.parse_content_stream(page)
            changed = False
            for i, (operands, operator) in enumerate(instructions):
                if str(operator) != "BDC" or not isinstance(operands[1], pikepdf.Dictionary):
                    continue
                mcid = operands[1].get("/MCID")
                if mcid is None or (n, int(mcid)) in reached:
                    continue
                properties = pikepdf.Dictionary(Type=pikepdf.Name.Pagination)
                instructions[i] = pikepdf.ContentStreamInstruction(
                    [pikepdf.Name.Artifact, properties], pikepdf.Operator("BDC")
                )
                for k in range(0, len(parents), 2):
                    if int(parents[k]) == n and int(mcid) < len(parents[k + 1]):
                        parents[k + 1][int(mcid)] = pikepdf.Object.parse(b"null")
                changed = True
            if changed:
                page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


#: structure types whose fragments on consecutive pages are one HTML element (paragraphs and rows do
#: not break over pages: report_pdf.css)
JOINED = ("/Sect", "/Div", "/Table", "/TBody")


def _page(node, pages: dict) -> int:
    return pages.get(node.Pg.objgen, -1) if "/Pg" in node else -1


def _is_marker(node) -> bool:
    """The empty `::before` box report_pdf.css puts first in every section and in the divs of a
    chart: a fragment that starts with it is the start of its element, not a continuation."""
    return (
        isinstance(node, pikepdf.Dictionary)
        and node.get("/S") == pikepdf.Name.NonStruct
        and not node.get("/K")
    )


def _join_fragments(node, pages: dict, parents) -> None:
    """Join the fragments WeasyPrint writes per page back into one element: a Sect, Div, Table or TBody
    on page n + 1 continues its namesake at the end of page n unless it starts with a marker. A
    table's repeated header rows are dropped from the tree (their text becomes an artifact) and its
    cells point to the first header row."""
    kids = node.get("/K")
    if not isinstance(kids, pikepdf.Array):
        return
    if node.get("/S") == pikepdf.Name.Table:
        _drop_repeated_heads(node, kids)
    i = 0
    while i + 1 < len(kids):
        first, then = kids[i], kids[i + 1]
        if (
            isinstance(first, pikepdf.Dictionary)
            and isinstance(then, pikepdf.Dictionary)
            and first.get("/S") in JOINED
            and then.get("/S") == first.get("/S")
            and _page(then, pages) > _page(first, pages)
            and not (then.get("/K") and _is_marker(then.K[0]))
        ):
            for kid in then.K:
                if isinstance(kid, int):
                    kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=then.Pg, MCID=kid)
                elif "/S" in kid:
                    kid.P = first
                first.K.append(kid)
            _repoint(parents, then, first)
            del kids[i + 1]
        else:
            i += 1
    for kid in list(kids):
        if _is_marker(kid):
            kids.remove(kid)
        elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            _join_fragments(kid, pages, parents)


def _drop_repeated_heads(table, kids) -> None:
    heads = [k for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/S") == pikepdf.Name.THead]
    renamed = {}
    for head in heads[1:]:
        renamed |= dict(zip(_header_ids(head), _header_ids(heads[0]), strict=False))
        kids.remove(head)
    if not renamed:
        return
    stack = list(kids)
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            continue
        attributes = node.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
            attributes.Headers = pikepdf.Array([renamed.get(str(h), h) for h in attributes.Headers])
        stack += list(node.get("/K") or [])


def _header_ids(node) -> list[str]:
    """IDs of the TH cells under node, in order."""
    if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
        return []
    if node.S == pikepdf.Name.TH:
        return [str(node.ID)] if "/ID" in node else []
    return [i for kid in node.get("/K") or [] for i in _header_ids(kid)]


def _repoint(parents, old, new) -> None:
    """Parent-tree entries that name `old` name `new`."""
    for k in range(1, len(parents), 2):
        value = parents[k]
        if isinstance(value, pikepdf.Array):
            for j, ref in enumerate(value):
                if isinstance(ref, pikepdf.Dictionary) and ref.objgen == old.objgen:
                    value[j] = new
        elif isinstance(value, pikepdf.Dictionary) and value.objgen == old.objgen:
            parents[k] = new


def _reached(root, pages: dict) -> set[tuple[int, int]]:
    """(page, MCID) of every marked content the structure tree reaches from its root."""
    reached: set[tuple[int, int]] = set()
    stack = [(root, None)]
    while stack:
        node, page = stack.pop()
        if isinstance(node, int):
            reached.add((page, int(node)))
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if "/Pg" in node:
            page = pages.get(node.Pg.objgen, page)
        if node.get("/Type") == pikepdf.Name.MCR:
            reached.add((page, int(node.MCID)))
            continue
        kids = node.get("/K")
        if kids is not None:
            stack += [(kid, page) for kid in (kids if isinstance(kids, pikepdf.Array) else [kids])]
    return reached


def page_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)
