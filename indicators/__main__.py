"""Command line of the indicators; statistics offices script it, so the output format is fixed.

    python -m indicators shares --date YYYY-MM-DD [--municipality NAME] [--db PATH]
    python -m indicators allocations [--by year|month] [--municipality NAME] [--db PATH]
    python -m indicators occupancy [--date YYYY-MM-DD] [--municipality NAME] [--db PATH]
    python -m indicators report --format pptx|pdf --out FILE [--date YYYY-MM-DD] [--districts A,B]
                                [--threshold N] [--template FILE.pptx] [--municipality NAME] [--db PATH]

CSV on stdout (UTF-8, comma): one row per Stadtteil sorted by name, then one row for the whole
municipality (empty district_id); shares in percent, unrounded. Exit codes: 0 done, 1 no such data,
2 wrong call.

allocations: `period,country,persons,minors`, one row per period and country (countries by name),
then one with country `TOTAL`; period `2022` or `2022-03`. `minors` is empty where not known; the
TOTAL adds the known values and is empty only when none is known. `--by month` needs monthly data:
years known only as a whole cannot be split, so the command refuses (exit 1) and names those years.
occupancy: `date,facility,capacity,occupants,occupancy_rate_pct,fehlbeleger,fehlbeleger_share_pct`,
one row per Stichtag and facility (by name), then one with facility `TOTAL`; dates ISO. Without
`--date` all Stichtage; with `--date` exactly that Stichtag (exit 1 naming the nearest ones if absent).
shares --public: disclosure control (`indicators.disclosure`): counts below the threshold (default 3,
`--threshold`, `$INTEGRATIONSMONITOR_THRESHOLD`), the cells hidden to protect them and every share built
on them are left empty; same columns and rows.
report: the Sitzungsbericht (PPTX or PDF, always public) for a Stichtag (default: the latest) and
Stadtteile (names or keys, comma-separated; default: all); one line on stdout names the file written.
`--template` (PPTX only): a deck of the city whose slide size, master and layouts are used.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from data.store import STADTTEIL, Store, default_db_path
from indicators.allocations import MonthsUnavailable, allocation_table
from indicators.disclosure import Levels, public_view
from indicators.occupancy import occupancy_table
from indicators.shares import published_for, shares

SHARES_COLUMNS = [
    "district_id",
    "district",
    "population",
    "foreigners",
    "foreigner_share_pct",
    "migration_background",
    "migration_background_share_pct",
]
#: added where the municipality has figures for its Einwanderungsgeschichte (a second definition)
IMMIGRATION_HISTORY_COLUMNS = ["immigration_history", "immigration_history_share_pct"]
ALLOCATIONS_COLUMNS = {
    "period": "period",
    "country": "country",
    "allocated_persons": "persons",
    "allocated_minors": "minors",
}
OCCUPANCY_COLUMNS = {
    "reference_date": "date",
    "facility": "facility",
    "capacity": "capacity",
    "occupants": "occupants",
    "occupancy_rate_pct": "occupancy_rate_pct",
    "fehlbeleger": "fehlbeleger",
    "fehlbeleger_share_pct": "fehlbeleger_share_pct",
}


class CliError(Exception):
    """A German message for the person at the terminal; exit code 1."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"'{text}' ist kein Datum im Format JJJJ-MM-TT") from err


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indicators", description="Kennzahlen als CSV ausgeben.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--municipality", help="Name der Kommune (Standard: die einzige in der Datenbank)")
    common.add_argument(
        "--db",
        type=Path,
        default=None,
        help="Datenbankdatei (Standard: $INTEGRATIONSMONITOR_DB, sonst data/integrationsmonitor.duckdb)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sh = sub.add_parser("shares", parents=[common], help="Ausländer- und MH-Anteile je Stadtteil")
    sh.add_argument("--date", type=_date, required=True, help="Stichtag JJJJ-MM-TT")
    sh.add_argument(
        "--public",
        action="store_true",
        help="Geheimhaltung: kleine Fallzahlen und daraus Rückrechenbares bleiben leer",
    )
    sh.add_argument(
        "--threshold", type=int, default=None, help="kleinste gezeigte Fallzahl bei --public (Standard 3)"
    )
    al = sub.add_parser("allocations", parents=[common], help="Zuweisungen je Zeitraum und Herkunftsland")
    al.add_argument("--by", choices=["year", "month"], default="year", help="Jahre (Standard) oder Monate")
    oc = sub.add_parser("occupancy", parents=[common], help="Belegung und Fehlbeleger je Unterkunft")
    oc.add_argument("--date", type=_date, help="Stichtag JJJJ-MM-TT (Standard: alle Stichtage)")
    rp = sub.add_parser("report", parents=[common], help="Sitzungsbericht als PowerPoint oder PDF")
    rp.add_argument("--format", choices=["pptx", "pdf"], required=True, help="Dateiformat")
    rp.add_argument("--out", type=Path, required=True, help="Zieldatei")
    rp.add_argument("--date", type=_date, help="Stichtag JJJJ-MM-TT (Standard: der letzte)")
    rp.add_argument("--districts", default="", help="Stadtteile, Namen oder Schlüssel, mit Komma getrennt")
    rp.add_argument("--threshold", type=int, default=None, help="kleinste gezeigte Fallzahl (Standard 3)")
    rp.add_argument(
        "--template",
        type=Path,
        default=None,
        help="PowerPoint-Vorlage (.pptx) der Kommune, deren Folienlayouts verwendet werden",
    )
    return parser


def open_store(db: Path | None) -> Store:
    path = db or default_db_path()
    if not path.exists():
        raise CliError(f"Die Datenbank {path} existiert nicht. Erst Daten laden: python -m data demo")
    return Store(path)


def pick_municipality(store: Store, name: str | None) -> str:
    known = store.municipalities()
    names = known["name"].tolist()
    if name:
        if name not in names:
            raise CliError(
                f"Die Kommune „{name}“ ist nicht in der Datenbank. Vorhanden: {', '.join(names) or '–'}."
            )
        return name
    real = known.loc[~known["synthetic"].astype(bool), "name"].tolist() or names
    if len(real) != 1:
        raise CliError(f"Bitte --municipality angeben. Vorhanden: {', '.join(names) or '–'}.")
    return real[0]


def shares_table(
    store: Store, municipality: str, when: date, public: bool = False, threshold: int | None = None
) -> pd.DataFrame:
    counts = store.population(municipality, when)
    if counts.empty:
        dates = ", ".join(d.isoformat() for d in store.reference_dates(municipality)) or "keine"
        raise CliError(
            f"Für {municipality} gibt es keine Daten zum Stichtag {when.isoformat()}. "
            f"Vorhandene Stichtage: {dates}."
        )
    published = published_for(store.published_totals(municipality), when)
    table = shares(counts, municipality_name=municipality, published=published)
    if public:
        levels = Levels.read(store, municipality, STADTTEIL, when)  # both levels, as on the pages
        table = public_view(table, threshold, levels=levels).masked
    extra = IMMIGRATION_HISTORY_COLUMNS if counts["immigration_history"].notna().any() else []
    return table[[*SHARES_COLUMNS, *extra]]


def allocations_csv(store: Store, municipality: str, by: str) -> pd.DataFrame:
    rows = store.table("allocations", municipality)
    if rows.empty:
        raise CliError(
            f"Für {municipality} sind keine Zuweisungen geladen (python -m data import allocations)."
        )
    try:
        table = allocation_table(rows, by)
    except MonthsUnavailable as err:
        raise CliError(str(err)) from None
    return table[list(ALLOCATIONS_COLUMNS)].rename(columns=ALLOCATIONS_COLUMNS)


def occupancy_csv(store: Store, municipality: str, when: date | None) -> pd.DataFrame:
    rows = store.table("occupancy", municipality)
    if rows.empty:
        raise CliError(
            f"Für {municipality} sind keine Belegungszahlen geladen (python -m data import occupancy)."
        )
    table = occupancy_table(rows)
    if when is not None:
        dates = sorted({d.date() for d in table["reference_date"]})
        table = table[table["reference_date"] == pd.Timestamp(when)]
        if table.empty:
            near = sorted(dates, key=lambda d: abs((d - when).days))[:3]
            raise CliError(
                f"Für {municipality} gibt es keine Belegungszahlen zum Stichtag {when.isoformat()}. "
                f"Nächste Stichtage: {', '.join(d.isoformat() for d in sorted(near))}."
            )
    table = table.assign(reference_date=table["reference_date"].dt.strftime("%Y-%m-%d"))
    return table[list(OCCUPANCY_COLUMNS)].rename(columns=OCCUPANCY_COLUMNS)


def write_report(store: Store, municipality: str, args: argparse.Namespace) -> str:
    """Build and write the Sitzungsbericht (`charts.report`: the views the pages show); the line to
    print."""
    from charts.report import build_report, page_count, write
    from indicators.report import SelectionError

    if args.template is not None and (args.format != "pptx" or not args.template.is_file()):
        raise CliError(f"--template braucht --format pptx und eine vorhandene .pptx-Datei: {args.template}")
    try:
        report = build_report(
            store, municipality, args.date, args.districts.split(","), threshold=args.threshold
        )
    except (SelectionError, ValueError) as err:
        raise CliError(str(err)) from None
    data = write(report, args.format, args.template)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    unit = "Folien" if args.format == "pptx" else "Seiten"
    count = page_count(data, args.format)
    return (
        f"Sitzungsbericht geschrieben: {args.out} ({args.format.upper()}, {count} {unit}, "
        f"{len(report.charts)} Grafiken; {report.subtitle}; Fallzahlen unter {report.threshold} gesperrt)"
        + "".join(f"\n{reason}" for reason in report.withheld)
    )


def write_csv(frame: pd.DataFrame) -> None:
    frame.to_csv(sys.stdout, index=False, lineterminator="\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        store = open_store(args.db)
        try:
            municipality = pick_municipality(store, args.municipality)
            if args.command == "allocations":
                write_csv(allocations_csv(store, municipality, args.by))
            elif args.command == "occupancy":
                write_csv(occupancy_csv(store, municipality, args.date))
            elif args.command == "report":
                print(write_report(store, municipality, args))
            else:
                write_csv(shares_table(store, municipality, args.date, args.public, args.threshold))
        finally:
            store.close()
    except CliError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
