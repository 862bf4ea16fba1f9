"""Checks on a written PDF as a city's accessibility officer and a committee clerk would make them.

`tagging_problems` reads the structure tree back with pikepdf (what veraPDF checks first for PDF/UA-1,
without Java): marked document, language, title shown as window title, headings, paragraphs, tables
with header cells, figures with alt text, and every piece of text on every page either reachable from
the structure tree or marked as an artifact. `page_fill` renders the pages and says how far down the
body of each page the ink goes.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image

TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}


def structure(pdf: pikepdf.Pdf) -> tuple[Counter, list[str], set[tuple[int, int]], list[str]]:
    """(count of each structure type, /Alt of each Figure in reading order, the (page, MCID) pairs the
    tree reaches, problems found on the way) — walking /K from the StructTreeRoot. On the way: every
    element's /P is the element that holds it, the parent tree names the element that holds each
    MCID, every cell's /Headers names a TH of the document."""
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    kinds: Counter = Counter()
    alts: list[str] = []
    holders: dict[tuple[int, int], tuple[int, int]] = {}
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    header_ids: set[str] = set()
    cell_headers: list[str] = []

    def walk(node, page: int | None, holder) -> None:
        if isinstance(node, int):
            holders[(page, int(node))] = holder.objgen
            return
        if not isinstance(node, pikepdf.Dictionary):
            return
        if node.is_indirect:
            if node.objgen in seen:
                return
            seen.add(node.objgen)
        if "/Pg" in node:
            page = pages.get(node.Pg.objgen, page)
        kind = str(node.get("/Type", ""))
        if kind == "/MCR":
            holders[(page, int(node.MCID))] = holder.objgen
            return
        if kind == "/OBJR":
            return
        if "/S" in node:
            tag = str(node.S)[1:]
            kinds[tag] += 1
            if holder is not None and node.get("/P") is not None and node.P.objgen != holder.objgen:
                problems.append(f"{tag} auf Seite {page}: /P ist nicht das Element, das es hält")
            if tag == "Figure":
                alts.append(str(node.get("/Alt", "")))
            if tag == "Table" and not _has_header_row(node):
                problems.append(f"Tabelle auf Seite {None if page is None else page + 1} ohne Kopfzeile (TH)")
            if tag == "TH" and "/ID" in node:
                header_ids.add(str(node.ID))
            attributes = node.get("/A")
            if tag == "TD" and isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                cell_headers.extend(str(h) for h in attributes.Headers)
            holder = node
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            walk(kid, page, holder)

    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return kinds, alts, set(), ["kein /StructTreeRoot"]
    walk(root, None, None)
    if None in {page for page, _ in holders}:
        problems.append("MCID ohne Seite im Strukturbaum")
    if unknown := sorted(set(cell_headers) - header_ids):
        problems.append(f"/Headers nennen TH, die es nicht gibt: {unknown[:5]}")
    nums = root.ParentTree.get("/Nums", [])
    wrong = 0
    for k in range(0, len(nums), 2):
        page, value = int(nums[k]), nums[k + 1]
        if isinstance(value, pikepdf.Array):
            for mcid, ref in enumerate(value):
                held = holders.get((page, mcid))
                if held is not None and (not isinstance(ref, pikepdf.Dictionary) or ref.objgen != held):
                    wrong += 1
    if wrong:
        problems.append(f"{wrong} MCIDs, für die der ParentTree ein anderes Element nennt")
    return kinds, alts, set(holders), problems


def _has_header_row(table: pikepdf.Dictionary) -> bool:
    """The table's first row (in a THead, or the first TR) holds TH cells."""
    kids = [k for k in table.get("/K", []) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
    while kids and str(kids[0].S) in ("/THead", "/TBody"):
        kids = [k for k in kids[0].get("/K", []) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
    if not kids or str(kids[0].S) != "/TR":
        return False
    return any(isinstance(c, pikepdf.Dictionary) and str(c.get("/S")) == "/TH" for c in kids[0].K)


def untagged_text(pdf: pikepdf.Pdf, reached: set[tuple[int, int]]) -> list[str]:
    """Text shown outside any marked content that the tree reaches or that is an /Artifact."""
    problems = []
    for number, page in enumerate(pdf.pages):
        stack: list[tuple[str, int | None]] = []
        orphans: set[int] = set()
        loose = 0
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                mcid = None
                if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary):
                    mcid = operands[1].get("/MCID")
                stack.append((str(operands[0]), None if mcid is None else int(mcid)))
            elif op == "EMC" and stack:
                stack.pop()
            elif op in TEXT_OPERATORS and not any(tag == "/Artifact" for tag, _ in stack):
                mcids = [m for _, m in stack if m is not None]
                if not mcids:
                    loose += 1
                elif (number, mcids[-1]) not in reached:
                    orphans.add(mcids[-1])
        if loose:
            problems.append(f"Seite {number + 1}: {loose} Textstücke ohne Tag und nicht als Artefakt")
        if orphans:
            problems.append(
                f"Seite {number + 1}: Text mit MCID {sorted(orphans)} hängt nicht im Strukturbaum"
            )
    return problems


def tagging_problems(path: Path, alt_texts: list[str], lang: str = "de-DE") -> list[str]:
    """What keeps the PDF at `path` from PDF/UA-1, as far as it can be read without veraPDF; empty if
    nothing. alt_texts: the alt text of each chart, in order."""
    problems = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        mark = root.get("/MarkInfo")
        if mark is None or not bool(mark.get("/Marked", False)):
            problems.append("/MarkInfo /Marked ist nicht true")
        if str(root.get("/Lang", "")) != lang:
            problems.append(f"/Lang ist {str(root.get('/Lang', ''))!r}, nicht {lang}")
        title = str(pdf.docinfo.get("/Title", "")) if "/Title" in pdf.trailer.get("/Info", {}) else ""
        with pdf.open_metadata() as meta:
            xmp_title = meta.get("dc:title", "")
            ua_part = meta.get("pdfuaid:part", "")
        if not (title and xmp_title):
            problems.append("Titel fehlt in /Info oder in XMP dc:title")
        if str(ua_part) != "1":
            problems.append(f"XMP pdfuaid:part ist {ua_part!r}, nicht 1")
        prefs = root.get("/ViewerPreferences")
        if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
            problems.append("/ViewerPreferences /DisplayDocTitle ist nicht true")
        kinds, alts, reached, found = structure(pdf)
        problems += found
        for kind in ("H1", "H2", "P", "Table", "TR", "TH", "TD", "Figure"):
            if not kinds[kind]:
                problems.append(f"kein {kind} im Strukturbaum")
        figures = [a for a in alts if a]
        if len(figures) != len(alts):
            problems.append(f"{len(alts) - len(figures)} Figure ohne /Alt")
        if [a for a in alts if a.startswith("Grafik: ")] != alt_texts:
            problems.append(f"Figure-/Alt der Grafiken {alts} statt {alt_texts}")
        problems += untagged_text(pdf, reached)
        for number, page in enumerate(pdf.pages, start=1):
            annotations = page.obj.get("/Annots") or []
            if annotations and page.obj.get("/Tabs") != pikepdf.Name.S:
                problems.append(f"Seite {number}: Annotationen, aber /Tabs nicht /S")
            for annotation in annotations:
                described = str(annotation.get("/Contents", ""))
                if not described or described == str(annotation.get("/Dest", "")):
                    problems.append(f"Seite {number}: Link ohne Beschreibung (/Contents {described!r})")
                if "/StructParent" not in annotation:
                    problems.append(f"Seite {number}: Annotation nicht im Strukturbaum")
            for name, font in page.Resources.get("/Font", {}).items():
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
                if descriptor is None or not any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    problems.append(f"Seite {number}: Schrift {name} nicht eingebettet")
    return problems


def structure_counts(path: Path) -> Counter:
    with pikepdf.open(path) as pdf:
        return structure(pdf)[0]


def page_fill(path: Path, folder: Path, band: float = 0.08) -> list[float]:
    """Per page, how far down the body the ink goes (0 … 1): the page without a band of `band` of its
    height at top and bottom (header and footer), measured at 40 dpi."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(folder / "fill")], check=True, timeout=120)
    fills = []
    for file in sorted(folder.glob("fill-*.png"), key=lambda f: int(re.findall(r"\d+", f.stem)[-1])):
        page = np.asarray(Image.open(file).convert("L"))
        top, bottom = int(page.shape[0] * band), int(page.shape[0] * (1 - band))
        body = page[top:bottom]
        inked = np.flatnonzero((body < 200).any(axis=1))
        fills.append(0.0 if inked.size == 0 else (inked[-1] + 1) / body.shape[0])
    return fills
