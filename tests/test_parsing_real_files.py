"""Real files as offices and portals publish them: read without editing, refused where a guess would damage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.errors import DataImportError
from data.parsing import (
    MAX_COUNT,
    parse_count,
    parse_counts,
    read_table,
    read_tables,
    sniff_delimiter,
)
from data.population import COUNT_ALIASES, KNOWN_HEADERS, import_population
from data.store import Store

REAL = Path(__file__).parent / "data" / "real_files"
LUENEN = Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv"


def _read(text: str, encoding: str = "utf-8", name: str = "export.csv", **kwargs) -> pd.DataFrame:
    return read_table(Path(name), text.encode(encoding), known=KNOWN_HEADERS, **kwargs)


def _refused(payload: bytes, name: str = "export.csv", **kwargs) -> str:
    with pytest.raises(DataImportError) as err:
        read_table(Path(name), payload, known=KNOWN_HEADERS, **kwargs)
    return str(err.value)


# --- CSV as portals export it ---------------------------------------------------------------------------


def test_genesis_export_with_title_signs_and_footer():
    frame = read_table(REAL / "genesis_stadtteile_2023.csv", known=KNOWN_HEADERS)
    assert list(frame.columns) == [
        "Schlüssel",
        "Stadtteil",
        "Einwohner",
        "Ausländer",
        "Migrationshintergrund",
    ]
    assert list(frame.index) == [7, 8, 9, 10]  # spreadsheet rows: six title/header lines above
    assert frame["Schlüssel"].iloc[0] == "05978024001"  # leading zero kept
    assert frame["Stadtteil"].tolist() == ["Alstedde", "Beckinghausen", "Niederaden", "Wethmar"]
    assert [parse_count(v) for v in frame["Einwohner"]] == [6417, 959, 2212, 4580]
    assert frame["Ausländer"].tolist() == ["538", "", "0", "424"]  # `.` unknown, `-` nothing = 0
    assert frame["Migrationshintergrund"].tolist() == ["1 453", "211", "", ""]
    assert frame.attrs["title"][0] == "GENESIS-Tabelle: 12411-01-01-5"
    assert frame.attrs["notes"] == [
        "1) ohne Nebenwohnsitze",
        "© IT.NRW, Düsseldorf, 2024",
        "Stand: 12.03.2024 / 14:22:07",
    ]
    assert frame.attrs["reference_date"] == date(2023, 12, 31)  # "Stichtag: 31.12.2023" in the title
    warnings = {(w.row, w.column): w.message for w in frame.attrs["warnings"] if w.row}
    assert set(warnings) == {(8, "Ausländer"), (9, "Migrationshintergrund"), (10, "Migrationshintergrund")}
    assert "geheim zu halten" in warnings[8, "Ausländer"]
    assert "nicht sinnvoll" in warnings[9, "Migrationshintergrund"]
    assert "nicht sicher genug" in warnings[10, "Migrationshintergrund"]
    assert all(w.severity == "warning" for w in frame.attrs["warnings"])


def test_genesis_export_imports_with_unknown_cells_empty(db_path):
    report = import_population(REAL / "genesis_stadtteile_2023.csv", db_path, "Lünen")
    assert report.reference_dates == [date(2023, 12, 31)] and len(report.warnings) == 4
    store = Store(db_path)
    try:
        counts = store.population("Lünen").set_index("district")
    finally:
        store.close()
    assert counts.loc["Niederaden", "foreigners"] == 0
    assert pd.isna(counts.loc["Beckinghausen", "foreigners"])
    assert counts.loc["Alstedde", "population"] == 6417


def test_delimiter_is_sniffed_on_a_sample_not_the_first_line():
    text = "Bevölkerung, Ausländer und Migrationshintergrund, Stand 31.12.2020\nStadtteil;Einwohner;Anteil\n"
    text += "".join(f"Teil {i};{1000 + i};8,{i} %\n" for i in range(10))
    assert sniff_delimiter(text) == ";"
    assert list(_read(text).columns) == ["Stadtteil", "Einwohner", "Anteil"]
    assert sniff_delimiter("Stadtteil\tEinwohner\nNord\t1.000\nSüd\t2.000\n") == "\t"
    assert sniff_delimiter('Stadtteil,Einwohner\nNord,"1,000"\nSüd,"2,000"\n') == ","


def test_headers_with_soft_hyphens_and_line_breaks():
    text = 'Stadtteil;"Einwohner\ninsgesamt";"Migrations-\nhintergrund";Aus\u00adländer\nNord;1 675;300;120\n'
    frame = _read(text)
    assert list(frame.columns) == ["Stadtteil", "Einwohner insgesamt", "Migrationshintergrund", "Ausländer"]
    assert parse_count(frame["Einwohner insgesamt"].iloc[0]) == 1675


def test_thin_and_narrow_spaces_as_thousands_separators():
    assert parse_count("\u00a01\u202f675\u2009") == 1675
    assert parse_count("1\u2009675") == 1675


def test_utf16_export_from_excel_is_read():
    text = "Stadtteil\tEinwohner\r\nNord\t1.000\r\nSüd\t2.000\r\n"
    frame = read_table(Path("unicode.txt"), "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    assert frame["Stadtteil"].tolist() == ["Nord", "Süd"]


def test_an_old_dos_export_is_decoded_by_detection_with_a_warning():
    text = "Stadtteil;Einwohner;Ausländer\nLünen-Süd;1;1\nBrünninghausen;2;1\nÖstrich;4;1\n"
    frame = read_table(Path("dos.csv"), text.encode("cp850"), known=KNOWN_HEADERS)
    assert frame["Stadtteil"].tolist() == ["Lünen-Süd", "Brünninghausen", "Östrich"]
    assert "Ausländer" in frame.columns
    assert any("weder UTF-8 noch Windows-1252" in w.message for w in frame.attrs["warnings"])


def test_a_detected_encoding_may_not_garble_a_header_unnoticed():
    text = "Stadtteil;Einwohner;Größe der Fläche\nLünen-Süd;1;1\nBrünninghausen;2;1\n"
    assert "Größe der Fläche“ ist in der erkannten Kodierung gelesen" in _refused(text.encode("cp850"))
    # single-byte encodings cannot be told apart for sure: what is read by detection always says so
    frame = read_table(Path("x.csv"), "Stadtteil;Einwohner\nノルト;1\n".encode("shift_jis"))
    assert "als cp437 gelesen (erkannt)" in frame.attrs["warnings"][0].message


def test_big_files_are_read_in_chunks_with_the_same_result(monkeypatch):
    import data.parsing

    text = "Titel der Tabelle\nStadtteil;Einwohner;Ausländer\n"
    text += "".join(f"Teil {i};{i} 000;{i}\n" for i in range(1, 40)) + "Teil 40;1;1;;;\nQuelle: Stadt\n"
    whole = _read(text)
    monkeypatch.setattr(data.parsing, "CSV_CHUNK_ROWS", 7)
    chunked = _read(text)  # the wider line 42 sits in a later chunk than the sample
    pd.testing.assert_frame_equal(chunked, whole)
    assert list(chunked.index) == list(range(3, 43)) and chunked.attrs["notes"] == ["Quelle: Stadt"]


def test_a_sheet_cannot_be_chosen_in_a_csv_file():
    assert "keine Blätter" in _refused(b"Stadtteil;Einwohner\nNord;1\n", sheet="2020")


# --- no silent damage (issue 12) ------------------------------------------------------------------------


def test_one_windows_byte_in_a_utf8_file_is_refused_at_its_cell(tmp_path, db_path):
    # before: decoded as cp1252, "AuslÃ¤nder" matched nothing and "Lünen" became a Stadtteil
    payload = "Stadtteil;Einwohner;Ausländer\nNord;1.000;100\nSüd;500;50\n".encode() + b"L\xfcnen;1.500;150\n"
    message = _refused(payload)
    assert "Zeile 4" in message and 'Spalte "A"' in message
    assert "0xFC" in message and "„ü“" in message and "L?nen" not in message
    src = tmp_path / "gemischt.csv"
    src.write_bytes(payload)
    with pytest.raises(DataImportError, match="kein UTF-8"):
        import_population(src, db_path, "Lünen", date(2020, 12, 31))
    assert not db_path.exists()  # nothing written


def test_windows_1252_files_are_still_read():
    frame = read_table(LUENEN, known=KNOWN_HEADERS)
    assert "Lünen" in frame.iloc[:, 0].tolist() and "Ausländer" in " ".join(frame.columns)


def test_garbled_header_and_names_are_refused_not_dropped():
    # converted twice: valid UTF-8 that shows "AuslÃ¤nder" and "LÃ¼nen"
    garbled = "Stadtteil;Einwohner;Ausländer\nNord;1.000;100\nLünen;1.000;100\n".encode().decode("cp1252")
    message = _refused(garbled.encode())
    assert "„AuslÃ¤nder“ ist falsch kodiert" in message and 'Zeile 1, Spalte "C"' in message
    assert "„LÃ¼nen“ ist falsch kodiert" in message and 'Zeile 3, Spalte "Stadtteil"' in message


def test_duplicate_headers_are_refused_naming_both_columns():
    message = _refused(b"Stadtteil;Einwohner;Ausl\xe4nder;Personen;Ausl\xe4nder;Personen\nNord;1;1;1;1;1\n")
    assert "„Ausländer“ steht mehrmals" in message and "C (Nr. 3) und E (Nr. 5)" in message
    assert "„Personen“ steht mehrmals" in message and "D (Nr. 4) und F (Nr. 6)" in message
    fields = {"foreigners": COUNT_ALIASES["foreigners"]}
    message = _refused(b"Stadtteil;Ausl\xe4nder;Ausl\xe4nder:innen\nNord;1;1\n", fields=fields)
    assert "„Ausländer“ und „Ausländer:innen“" in message and "B (Nr. 2) und C (Nr. 3)" in message


@pytest.mark.parametrize("raw", ["100.000.001", "9223372036854775808", "1" * 40])
def test_counts_beyond_any_population_are_refused(raw, tmp_path, db_path):
    with pytest.raises(ValueError, match="keine plausible Zahl"):
        parse_count(raw)
    src = tmp_path / "gross.csv"
    src.write_text(f"Stadtteil;Einwohner\nNord;{raw}\nSüd;12\n", encoding="utf-8")
    with pytest.raises(DataImportError, match='Zeile 2, Spalte "Einwohner": .*keine plausible Zahl'):
        import_population(src, db_path, "Teststadt", date(2020, 12, 31))
    values, problems = parse_counts(pd.Series([raw, "12"], index=[2, 3]), "Einwohner")
    assert [(p.row, p.column) for p in problems] == [(2, "Einwohner")] and values.iloc[1] == 12


def test_all_problems_of_a_file_at_once():
    payload = "Stadtteil;Ausländer;Ausländer;EinwohnerÃ¤\nNord;1;1;1\nLÃ¼nen;2;2;2\n".encode()
    with pytest.raises(DataImportError) as err:
        read_table(Path("x.csv"), payload, known=KNOWN_HEADERS)
    assert len(err.value.problems) == 3


# --- Excel as offices save it ---------------------------------------------------------------------------


def _office_sheet(ws, year: int, factor: int = 1) -> None:
    ws.append([f"Bevölkerung nach Stadtteilen am 31.12.{year}"])
    ws.append([])
    ws.append(["Stadtteil", "Einwohner", "Ausländer:innen", None])
    ws.merge_cells("C3:D3")
    ws.append([None, None, "Anzahl", "Anteil"])
    ws.append(["Name", "Anzahl der Einwohnerinnen und Einwohner", "Anzahl", "in %"])
    ws.append(["Nord", 1000 * factor, 100 * factor, "10,0 %"])
    ws.append(["Süd", 500 * factor, "x", None])
    ws.append([])
    ws.append(["1) ohne Nebenwohnsitze"])
    ws.append(["Quelle: Melderegister der Stadt"])


def _workbook(path: Path, years: list[int], notes: bool = True) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, year in enumerate(years):
        _office_sheet(book.create_sheet(str(year)), year, i + 1)
    if notes:
        book.create_sheet("Erläuterungen").append(["Alle Angaben ohne Gewähr."])
    book.save(path)
    return path


def test_office_workbook_with_title_group_header_description_and_notes(tmp_path):
    frame = read_table(_workbook(tmp_path / "amt.xlsx", [2020]), known=KNOWN_HEADERS)
    assert list(frame.columns) == ["Stadtteil", "Einwohner", "Ausländer:innen", "Anteil Ausländer:innen"]
    assert list(frame.index) == [6, 7]
    assert frame["Ausländer:innen"].tolist() == ["100", ""]
    assert frame.attrs["notes"] == ["1) ohne Nebenwohnsitze", "Quelle: Melderegister der Stadt"]
    messages = [w.message for w in frame.attrs["warnings"]]
    assert any("Erläuterungen" in m for m in messages)  # the skipped sheet is named
    assert any("beschreibt die Spalten" in m for m in messages)
    assert any("nicht sinnvoll" in m for m in messages)


def test_several_sheets_are_never_silently_reduced_to_the_first(tmp_path):
    src = _workbook(tmp_path / "jahre.xlsx", [2019, 2020])
    with pytest.raises(DataImportError, match="„2019“, „2020“.*--sheet"):
        read_table(src, known=KNOWN_HEADERS)
    assert read_table(src, known=KNOWN_HEADERS, sheet="2020")["Einwohner"].tolist() == ["2000", "1000"]
    frames = read_tables(src, known=KNOWN_HEADERS)
    assert [f.attrs["sheet"] for f in frames] == ["2019", "2020"]
    with pytest.raises(DataImportError, match="kein Blatt „2021“.*„2019“, „2020“, „Erläuterungen“"):
        read_table(src, known=KNOWN_HEADERS, sheet="2021")


def test_cli_imports_each_named_sheet_with_the_stichtag_it_states(tmp_path, capsys):
    from data.__main__ import main

    src = _workbook(tmp_path / "jahre.xlsx", [2019, 2020])
    call = [
        "import",
        "population",
        str(src),
        "--municipality",
        "Teststadt",
        "--db",
        str(tmp_path / "m.duckdb"),
    ]
    assert main(call) == 1
    assert "„2019“, „2020“" in capsys.readouterr().err
    assert main([*call, "--sheet", "2019", "--sheet", "2020"]) == 0
    out = capsys.readouterr().out
    assert out.count("2 Zeilen importiert") == 2 and "Stichtag 31.12.2020" in out
    assert 'Zeile 7, Spalte "Ausländer:innen": „x“ bedeutet' in out  # warnings reach the planner
    store = Store(tmp_path / "m.duckdb")
    try:
        population = store.population("Teststadt")
    finally:
        store.close()
    by_date = population.groupby("reference_date")["population"].sum()
    assert by_date.tolist() == [1500, 3000]


def test_old_xls_and_ods_are_read(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    rows = [["Einwohner nach Stadtteilen", None, None], [None] * 3, ["Stadtteil", "Einwohner", "Ausländer"]]
    rows.append(["Nord", 1000, 100])
    book = xlwt.Workbook()
    sheet = book.add_sheet("Daten")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.save(tmp_path / "alt.xls")
    pytest.importorskip("odf")
    pd.DataFrame(rows).to_excel(tmp_path / "frei.ods", engine="odf", header=False, index=False)
    for name in ("alt.xls", "frei.ods"):
        frame = read_table(tmp_path / name, known=KNOWN_HEADERS)
        assert frame.loc[4].tolist() == ["Nord", "1000", "100"], name


# --- properties ----------------------------------------------------------------------------------------

NAMES = st.text(alphabet="abcdefghiklmnoprstuvwzäöüß- ", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(NAMES.map(str.title), st.integers(0, 10**7), st.integers(0, 10**6)),
        min_size=2,
        max_size=8,
        unique_by=lambda r: r[0],
    ),
    title=st.lists(
        st.sampled_from(["GENESIS-Tabelle: 12411-01-01-5", "Bevölkerung: Stadtteile", ""]), max_size=3
    ),
    footer=st.lists(
        st.sampled_from(["© IT.NRW, Düsseldorf, 2024", "Quelle: Melderegister", "1) ohne NWS"]), max_size=3
    ),
    pad=st.sampled_from(["", " ", "   "]),
    thousands=st.sampled_from(["", " ", "\u00a0", "."]),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_title_footer_and_padding_do_not_change_the_table(rows, title, footer, pad, thousands, encoding):
    def count(n: int) -> str:
        return pad + f"{n:,}".replace(",", thousands) + pad

    plain = "Stadtteil;Einwohner;Ausländer\n" + "".join(f"{n};{e};{a}\n" for n, e, a in rows)
    dressed = "\n".join(title) + ("\n" if title else "") + "Stadtteil;Einwohner;Ausländer\n"
    dressed += "".join(f"{pad}{n};{count(e)};{count(a)}\n" for n, e, a in rows)
    dressed += ("__________\n" if footer else "") + "\n".join(footer)
    expected, got = _read(plain), _read(dressed, encoding)
    assert got["Stadtteil"].tolist() == expected["Stadtteil"].tolist()
    for col in ("Einwohner", "Ausländer"):
        assert [parse_count(v) for v in got[col]] == [parse_count(v) for v in expected[col]]


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 2 * MAX_COUNT).map(str),
            st.sampled_from(["", ".", "1.234", "1,5", "-3", "ab", "6417.0"]),
        ),
        max_size=20,
    )
)
def test_parse_counts_agrees_with_parse_count(cells):
    values, problems = parse_counts(pd.Series(cells, dtype="str", index=range(2, len(cells) + 2)), "Anzahl")
    for row, raw in zip(range(2, len(cells) + 2), cells, strict=True):
        try:
            expected = parse_count(raw)
        except ValueError:
            assert any(p.row == row for p in problems) and pd.isna(values[row])
            continue
        assert (pd.isna(values[row]) and expected is None) or values[row] == expected


@given(
    st.lists(st.integers(0, 10**8), min_size=1, max_size=20),
    st.sampled_from(["plain", "dots", "spaces", "excel"]),
)
def test_column_parsing_reads_every_count_as_the_cell_parser_does(numbers, style):
    """`parse_counts` (a column at once, used by the population import) and `parse_count` agree — also
    on `2.000`, which is two thousand, not 2 with zero decimals."""
    write = {
        "plain": str,
        "dots": lambda n: f"{n:,}".replace(",", "."),
        "spaces": lambda n: f"  {n:,}  ".replace(",", " "),
        "excel": lambda n: f"{n}.0",
    }[style]
    cells = pd.Series([write(n) for n in numbers], index=range(2, 2 + len(numbers)))
    values, problems = parse_counts(cells, "Einwohner")
    assert problems == []
    assert values.tolist() == numbers == [parse_count(c) for c in cells]
