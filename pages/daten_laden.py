"""Daten laden: editors upload a file, see every problem with row and column, then confirm the import."""

from datetime import date

import streamlit as st

from charts.sentences import markdown_safe
from data.audit import KIND_LABELS, undo_last
from data.errors import DataImportError
from data.parsing import MAX_FILE_BYTES
from data.population import MAPPABLE
from data.store import take_notes
from data.upload import (
    KINDS,
    check_message,
    columns_of,
    confirm_import,
    log_undo,
    parts,
    preview,
    problem_kinds,
    problems_headline,
    problems_table,
    run_import,
)
from data.zensus import bundle
from pages.components.access import keep_uploads_in_memory, load
from pages.components.auth import current_editor, require_editor, sign_in_form, sign_out_button
from pages.components.own_form import description_form
from pages.components.setup import page_setup

page = page_setup("Daten laden", needs=None)
f = page.filters
editor = current_editor()
if editor is None:
    st.write(
        "Neue Daten laden dürfen nur angemeldete Redakteur:innen. Alle anderen Seiten sind ohne Anmeldung lesbar."
    )
    sign_in_form()
    st.stop()

keep_uploads_in_memory(st.get_option("server.maxUploadSize"))
if done := st.session_state.pop("upload_done", None):
    st.success(markdown_safe(done))
for note in st.session_state.pop("upload_notes", []):
    st.warning(markdown_safe(note))
top, out = st.columns([5, 1], vertical_alignment="center")
top.caption(f"Angemeldet als **{markdown_safe(editor)}**")
sign_out_button(out)

kind = st.selectbox("Art der Datei", list(KINDS), format_func=lambda k: KINDS[k].label, key="upload_kind")
spec = KINDS[kind]
left, right = st.columns(2)
municipality = f.municipality
if spec.per_municipality:
    new = left.toggle("Neue Kommune anlegen", key="upload_new_municipality")
    municipality = (
        left.text_input("Name der Kommune", key="upload_municipality").strip()
        if new
        else left.selectbox("Kommune", [f.municipality], disabled=True)
    )
when = None
if spec.date != "none":
    hint = "Pflicht" if spec.date == "required" else "falls die Datei keinen Stichtag nennt"
    when = right.date_input(
        f"Stichtag ({hint})",
        # empty where the file may name its own Stichtag (a column, the sheet name, the title)
        value=None if spec.date == "optional" else date(date.today().year - 1, 12, 31),
        min_value=date(1950, 1, 1),  # every Stichtag a file can have, not only the last ten years
        max_value=date(date.today().year, 12, 31),
        format="DD.MM.YYYY",
        key="upload_date",
    )

upload_key = f"upload_file_{st.session_state.get('upload_round', 0)}"
limit = MAX_FILE_BYTES // 1024 // 1024
upload = st.file_uploader(
    "Datei auswählen",
    type=list(spec.types),
    key=upload_key,
    help=f"Höchstens {limit} MB je Datei.",
    accept_multiple_files=kind == "zensus",  # the Einwohnerzahl and the Anteil Ausländer belong together
)
if isinstance(upload, list):
    upload = bundle(upload)
st.caption(
    f"Höchstens {limit} MB je Datei. Größere Dateien, etwa ein ganzer Melderegister-Auszug, lädt die "
    "Kommandozeile: `python -m data import register …`."
)
if upload is None or not municipality:
    st.stop()
payload = upload.getvalue()

try:
    choices = parts(kind, upload.name, payload)
    part = None
    if choices:  # a workbook with several tables, a GeoPackage/ZIP with several layers of areas
        part = st.selectbox(
            "Tabellenblatt" if kind == "population" else "Ebene mit den Grenzen",
            choices,
            key=f"upload_part_{upload_key}",
            help="Die Datei enthält mehrere; importiert wird das gewählte. Weitere nacheinander importieren.",
        )
    table, summary = preview(kind, upload.name, payload, part)
except DataImportError as err:
    st.error(str(err))
    st.stop()
st.subheader("Vorschau")
st.caption(summary)
st.dataframe(table, hide_index=kind != "population")

mapping: dict[str, str] = {}
if kind == "population":
    remembered = load(page.store, "column_mapping", municipality, "population")
    headers = columns_of(upload.name, payload, part)
    with st.expander(
        "Spalten zuordnen (nur nötig, wenn eine Spalte nicht erkannt wird)", expanded=bool(remembered)
    ):
        auto = "(automatisch erkennen)"
        for field, label in MAPPABLE.items():
            options = [auto, *headers]
            default = remembered.get(field)
            choice = st.selectbox(
                label, options, index=options.index(default) if default in headers else 0, key=f"map_{field}"
            )
            if choice != auto:
                mapping[field] = choice
if kind == "indicator":  # the description of the indicator, in place of a header mapping
    own = load(page.store, "own_indicators", municipality)
    mapping = description_form(own, columns_of(upload.name, payload, part))

st.subheader("Prüfung")
try:
    checked = run_import(
        kind,
        upload.name,
        payload,
        page.store.path,
        municipality,
        when,
        mapping,
        editor,
        check_only=True,
        part=part,
    )
except DataImportError as err:
    st.error(problems_headline(err))
    st.dataframe(problem_kinds(err), hide_index=True, key="upload_problem_kinds")
    st.dataframe(problems_table(err), hide_index=True, key="upload_problems")
    st.stop()
st.success(markdown_safe(check_message(checked)))
for warning in checked.warnings:
    st.info(markdown_safe(warning.message))

if st.button(
    f"Jetzt importieren ({KIND_LABELS.get(kind, kind)}, {municipality})", type="primary", key="upload_confirm"
):
    editor = require_editor()  # checked again on the server at the moment of the import
    try:
        done, notes = confirm_import(
            kind, upload.name, payload, page.store.path, municipality, when, mapping, editor, part
        )
    except DataImportError as err:
        st.error(markdown_safe(str(err)))
        st.stop()
    st.session_state["upload_done"], st.session_state["upload_notes"] = done, notes
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1  # empty the uploader
    st.rerun()

st.subheader("Letzte Importe")
log = load(page.store, "imports", 20)
st.dataframe(log.drop(columns=["file_sha256"], errors="ignore"), hide_index=True)
with st.expander("Letzten Import rückgängig machen"):
    undo_kind = st.selectbox("Art", [k for k in KINDS], format_func=lambda k: KINDS[k].label, key="undo_kind")
    sure = st.checkbox("Ich will den letzten Import dieser Art zurücknehmen.", key="undo_sure")
    if st.button("Rückgängig machen", disabled=not sure, key="undo_go"):
        undoer = require_editor()  # checked again on the server at the moment of the undo
        try:
            undo_for = municipality if KINDS[undo_kind].per_municipality else None
            st.session_state["upload_done"] = undo_last(page.store.path, undo_kind, undo_for)
            log_undo(undoer, undo_kind, undo_for)
            st.session_state["upload_notes"] = take_notes()
            st.rerun()
        except DataImportError as err:
            st.error(markdown_safe(str(err)))
