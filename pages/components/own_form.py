"""The description of an own indicator on the upload page: the fields of `python -m data import
indicator --meta META.toml` as a form, filled in from a stored indicator when one is added to."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data.own_indicators import POPULATION_DENOMINATORS

NEW = ""
AUTO = "(automatisch erkennen)"


def description_form(own: pd.DataFrame, headers: list[str]) -> dict[str, str]:
    """The fields the editor filled in (empty ones left out; `data.own_indicators.parse_meta` checks
    them). own: the municipality's own indicators (`Store.own_indicators`); headers: the file's."""
    st.markdown("**Beschreibung der Kennzahl**")
    labels = dict(zip(own["key"], own["label"], strict=True))
    base = st.selectbox(
        "Kennzahl",
        [NEW, *labels],
        format_func=lambda k: labels.get(k, "neue Kennzahl anlegen"),
        key="own_base",
        help="Eine geladene Kennzahl um weitere Stichtage ergänzen oder ihre Zahlen ersetzen.",
    )
    stored = own.set_index("key").loc[base].to_dict() if base else {}
    left, right = st.columns(2)
    suffix = base or "neu"  # other defaults for another indicator: keyed widgets keep their first value
    fields = {
        "key": left.text_input("Schlüssel (Kleinbuchstaben, z. B. sgb2)", base.removeprefix("own_"),
                               key=f"own_key_{suffix}", disabled=bool(base)),
        "label": right.text_input("Bezeichnung, z. B. SGB-II-Quote", stored.get("label", ""), key=f"own_label_{suffix}"),
        "short_label": left.text_input("Kurzbezeichnung (für schmale Grafiken)", stored.get("short_label", ""),
                                       key=f"own_short_{suffix}"),
        "numerator": right.text_input("Zähler: was gezählt wird", stored.get("numerator_label", ""),
                                      key=f"own_numerator_{suffix}"),
        "unit": left.text_input("Einheit des Zählers", stored.get("unit", "Personen"), key=f"own_unit_{suffix}"),
    }  # fmt: skip
    choices = [*POPULATION_DENOMINATORS, *[k for k in labels if k != base], NEW]
    names = {**POPULATION_DENOMINATORS, **labels, NEW: "keiner – eine reine Anzahl"}
    current = stored.get("denominator") or (NEW if base else "population")
    fields["denominator"] = right.selectbox(
        "Nenner (Anteil = Zähler / Nenner × 100)",
        choices,
        index=choices.index(current) if current in choices else 0,
        format_func=names.get,
        key=f"own_denominator_{suffix}",
    )
    fields["source"] = st.text_input("Quelle", stored.get("source", ""), key=f"own_source_{suffix}")
    fields["caveat"] = st.text_area(
        "Hinweis zur Deutung", stored.get("caveat", ""), key=f"own_caveat_{suffix}"
    )
    column = st.selectbox("Spalte mit den Zahlen", [AUTO, *headers], key=f"own_column_{suffix}")
    if column != AUTO:
        fields["column"] = column
    return {name: value.strip() for name, value in fields.items() if value and value.strip()}
