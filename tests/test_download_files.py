"""The files under every chart as a spreadsheet opens them: CSV read back with pandas, XLSX with
openpyxl — keys stay text with their zeros, numbers stay numbers, nothing runs as a formula."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from charts.tables import csv_bytes, excel_bytes, neutral_text

HOSTILE = ['=HYPERLINK("http://x")', "+49 Süd", "-Nord", "@SUM(A1)", "\tTab", "\rCR"]


def table() -> pd.DataFrame:
    names = ["Altstadt", "Kleinholthausen", *HOSTILE]
    return pd.DataFrame(
        {
            "Stadtteil": names,
            "Schlüssel": [f"{i:03d}" for i in range(1, len(names) + 1)],
            "Einwohner:innen": [87815, 959, 1, 2, 3, 4, 5, 6],
            "Ausländeranteil (%)": [15.1, None, 1.25, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def test_csv_round_trips_with_keys_unchanged_and_no_formula():
    data = csv_bytes(table(), ["=Hinweis"])
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    rows = back.iloc[: len(table())]
    assert list(back.columns) == list(table().columns)
    assert rows["Schlüssel"].tolist() == table()["Schlüssel"].tolist()
    assert rows["Einwohner:innen"].iloc[0] == "87815" and rows["Ausländeranteil (%)"].iloc[0] == "15,1"
    assert rows["Ausländeranteil (%)"].iloc[1] == "", "a missing value stays empty"
    assert rows["Stadtteil"].tolist()[:2] == ["Altstadt", "Kleinholthausen"]
    for cell in [*rows["Stadtteil"], back["Stadtteil"].iloc[-1]]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows["Stadtteil"].iloc[2] == '\'=HYPERLINK("http://x")'


def test_xlsx_has_title_rows_text_keys_numbers_and_no_formula():
    heading = ["Ausländeranteil nach Stadtteil, Lünen", "Quelle: Stadt Lünen · Stichtag 31.12.2020"]
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes({"Daten": table()}, ["Hinweis"], heading)))
    sheet = book["Daten"]
    assert sheet["A1"].value == heading[0] and sheet["A1"].font.b
    assert sheet["A2"].value == heading[1] and "Stichtag 31.12.2020" in sheet["A2"].value
    header = [c.value for c in sheet[4]]
    assert header == list(table().columns)
    body = list(sheet.iter_rows(min_row=5, max_row=4 + len(table())))
    for row, key in zip(body, table()["Schlüssel"], strict=True):
        assert row[1].value == key and row[1].data_type == "s" and row[1].number_format == "@"
        assert isinstance(row[2].value, int) and row[2].data_type == "n"
        assert row[0].data_type == "s", "no cell is a formula"
        assert not str(row[0].value).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert body[0][3].value == 15.1
    assert [c.value for c in book["Hinweise"]["A"]] == ["Hinweis", "Hinweis"]


def test_xlsx_without_heading_starts_with_the_header_row():
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes({"Daten": table()})))["Daten"]
    assert sheet["A1"].value == "Stadtteil" and sheet["B2"].value == "001"


def test_neutral_text_leaves_numbers_and_plain_text():
    assert neutral_text(-12) == -12
    assert neutral_text("Lünen-Süd") == "Lünen-Süd"
    assert neutral_text("–") == "–"
    assert neutral_text("=1+1") == "'=1+1"
