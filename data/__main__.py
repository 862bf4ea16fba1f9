"""Command line of the data layer; statistics offices script it, so it behaves exactly as documented.

    python -m data demo [--db PATH]
    python -m data import population FILE [--date YYYY-MM-DD] [--municipality NAME] [--level gemeinde]
                                     [--sheet NAME …] [--source TEXT] [--db PATH]
    python -m data import boundaries FILE [--municipality NAME] [--id-field F] [--name-field F] [--layer L]
                                     [--db PATH]
    python -m data import allocations FILE [--municipality NAME] [--db PATH]
    python -m data import quota FILE [--db PATH]
    python -m data import occupancy FILE [--municipality NAME] [--db PATH]
    python -m data import zensus FILE [FILE …] [--municipality NAME] [--db PATH]
    python -m data import gemeinden FILE [--date YYYY-MM-DD] [--source TEXT] [--db PATH]
    python -m data import gemeindegrenzen FILE [--id-field F] [--name-field F] [--layer L] [--db PATH]
    python -m data import indicator FILE --meta META.toml [--date YYYY-MM-DD] [--municipality NAME] [--db PATH]
    python -m data versions [--db PATH]
    python -m data restore VERSION [--db PATH]
    python -m data check [--db PATH]          (readiness: 0 when the database answers, else 1)

Exit codes: 0 done, 1 the file was refused (nothing written), 2 wrong call. A write that was saved
exits 0 even when a step after saving failed; the message then says so ("Hinweis: …").
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from data.errors import DataImportError
from data.population import MAPPABLE
from data.store import Store, current_version, default_db_path, link_target, take_notes


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"'{text}' ist kein Datum im Format JJJJ-MM-TT") from err


def _mapping(text: str) -> tuple[str, str]:
    field, sep, header = text.partition("=")
    if not sep or not field.strip() or not header.strip():
        raise argparse.ArgumentTypeError(f"'{text}' ist keine Zuordnung der Form feld=\"Spalte\"")
    return field.strip(), header.strip().strip('"')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data", description="Daten des Integrationsmonitors laden."
    )
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        type=Path,
        default=None,
        help="Datenbankdatei (Standard: $INTEGRATIONSMONITOR_DB, sonst data/integrationsmonitor.duckdb)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", parents=[db], help="die synthetische Demostadt Musterstadt erzeugen")
    demo.add_argument("--seed", type=int, default=2024, help=argparse.SUPPRESS)

    undo = sub.add_parser("undo", parents=[db], help="den letzten Import einer Art rückgängig machen")
    undo.add_argument(
        "kind",
        choices=["population", "register", "boundaries", "allocations", "quota", "occupancy", "zensus"]
        + ["gemeinden", "gemeindegrenzen", "indicator"],
    )
    undo.add_argument("--municipality", help="nur Importe dieser Kommune")
    sub.add_parser("log", parents=[db], help="die letzten Importe anzeigen")
    sub.add_parser("versions", parents=[db], help="die gesicherten Versionen der Datenbank anzeigen")
    sub.add_parser("check", parents=[db], help="prüfen, ob die Datenbank lesbar ist (für Health-Checks)")
    restore = sub.add_parser(
        "restore", parents=[db], help="eine gesicherte Version wiederherstellen (siehe versions)"
    )
    restore.add_argument("version", help="Name der Version, z. B. integrationsmonitor.duckdb.v1767…")
    sub.add_parser(
        "hash-password", help="Passwort-Hash für .streamlit/secrets.toml erzeugen (fragt das Passwort ab)"
    )

    imp = sub.add_parser("import", help="eine Datei importieren").add_subparsers(dest="kind", required=True)
    pop = imp.add_parser("population", parents=[db], help="Einwohnerzahlen je Stadtteil (CSV oder XLSX)")
    pop.add_argument("file", type=Path)
    pop.add_argument("--date", type=_date, help="Stichtag JJJJ-MM-TT, falls die Datei keinen nennt")
    pop.add_argument("--municipality", help="Name der Kommune, z. B. Lünen")
    pop.add_argument(
        "--sheet",
        action="append",
        default=[],
        metavar="NAME",
        help="Blatt einer Arbeitsmappe; mehrfach angegeben wird jedes Blatt einzeln importiert",
    )
    pop.add_argument(
        "--map",
        action="append",
        default=[],
        metavar='FELD="Spalte"',
        type=_mapping,
        help='Spalte für ein Feld festlegen, z. B. --map population="Bevölkerung" '
        "(Felder: " + ", ".join(MAPPABLE) + ")",
    )
    pop.add_argument(
        "--source",
        metavar="TEXT",
        help="Quelle und Lizenz der Zahlen, wie sie auf jeder Grafik stehen soll, "
        'z. B. "Stadt Köln, Offene Daten Köln, CC BY"; bleibt gespeichert, bis eine andere angegeben wird',
    )
    pop.add_argument(
        "--level",
        type=str.capitalize,
        default="Stadtteil",
        choices=["Stadtteil", "Gemeinde"],
        help="Ebene der Zeilen: Stadtteile einer Stadt (Standard) oder Gemeinden eines Kreises "
        "(GENESIS/Zensus-Export, Schlüssel = AGS; --municipality ist dann der Kreis)",
    )
    geo = imp.add_parser(
        "boundaries", parents=[db], help="Stadtteilgrenzen (GeoJSON, GeoPackage, Shapefile-ZIP)"
    )
    geo.add_argument("file", type=Path)
    geo.add_argument("--municipality", help="Name der Kommune")
    geo.add_argument("--id-field", help="Feld mit dem Stadtteilschlüssel")
    geo.add_argument("--name-field", help="Feld mit dem Stadtteilnamen")
    geo.add_argument("--layer", help="Ebene eines GeoPackages bzw. Shapefile eines ZIP-Archivs mit mehreren")
    geo.add_argument(
        "--level",
        default="Stadtteil",
        choices=["Stadtteil", "Stadtbezirk"],
        help="Gebietsebene der Grenzen (Standard: Stadtteil)",
    )
    alloc = imp.add_parser(
        "allocations", parents=[db], help="Zuweisungen je Zeitraum und Herkunftsland (CSV oder XLSX)"
    )
    alloc.add_argument("file", type=Path)
    alloc.add_argument("--municipality", help="Name der Kommune")
    quota = imp.add_parser(
        "quota", parents=[db], help="Aufnahmeverpflichtung und Ist der Bezirksregierung (Spalte Kommune)"
    )
    quota.add_argument("file", type=Path)
    occ = imp.add_parser("occupancy", parents=[db], help="Plätze und Belegung je Unterkunft und Stichtag")
    occ.add_argument("file", type=Path)
    occ.add_argument("--municipality", help="Name der Kommune")
    reg = imp.add_parser(
        "register",
        parents=[db],
        help="personenbezogener Melderegister-Auszug (CSV), beim Import zu Zählungen verdichtet",
    )
    reg.add_argument("file", type=Path)
    reg.add_argument("--date", type=_date, required=True, help="Stichtag des Auszugs JJJJ-MM-TT")
    reg.add_argument("--municipality", help="Name der Kommune")
    own = imp.add_parser(
        "indicator",
        parents=[db],
        help="eine eigene Kennzahl je Stadtteil (z. B. SGB II), mit ihrer Beschreibung als TOML",
    )
    own.add_argument("file", type=Path)
    own.add_argument(
        "--meta", type=Path, required=True, help="Beschreibung der Kennzahl (TOML), siehe README"
    )
    own.add_argument("--date", type=_date, help="Stichtag JJJJ-MM-TT, falls die Datei keinen nennt")
    own.add_argument("--municipality", help="Name der Kommune")

    zensus = imp.add_parser(
        "zensus",
        parents=[db],
        help="Zensus 2022 Gitterzellen (100 m oder 1 km, CSV oder ZIP von Destatis) je Stadtteil summiert, "
        "Stichtag 15.05.2022",
    )
    zensus.add_argument(
        "file", type=Path, nargs="+", help="Einwohnerzahl und weitere Merkmale, z. B. Anteil Ausländer"
    )
    zensus.add_argument("--municipality", help="Name der Kommune (ihre Stadtteilgrenzen müssen geladen sein)")

    _region_parsers(imp, db)
    return parser


def _region_parsers(imp, db: argparse.ArgumentParser) -> None:
    """Issue 19: counts per Gemeinde/Kreis/Land by AGS, and municipality boundaries by AGS."""
    gem = imp.add_parser(
        "gemeinden",
        parents=[db],
        help="Einwohner und Ausländer je Gemeinde, Kreis und Land nach AGS (GENESIS/IT.NRW-Export)",
    )
    gem.add_argument("file", type=Path)
    gem.add_argument("--date", type=_date, help="Stichtag JJJJ-MM-TT, falls die Datei keinen nennt")
    gem.add_argument("--source", metavar="TEXT", help='Quelle und Lizenz, z. B. "IT.NRW, dl-de/by-2-0"')
    bounds = imp.add_parser(
        "gemeindegrenzen", parents=[db], help="Gemeindegrenzen nach AGS (GeoJSON, GeoPackage, Shapefile-ZIP)"
    )
    bounds.add_argument("file", type=Path)
    bounds.add_argument("--id-field", help="Feld mit dem AGS (Standard: AGS, GKZ, RS …)")
    bounds.add_argument("--name-field", help="Feld mit dem Gemeindenamen (Standard: GEN, name …)")
    bounds.add_argument("--layer", help="Ebene eines GeoPackages bzw. Shapefile eines ZIP-Archivs")


def resolve_municipality(name: str | None, db_path: Path, file: Path) -> str:
    """The given name, else the only municipality in the database; otherwise ask for --municipality."""
    if name:
        return name.strip()
    if db_path.exists():
        store = Store(db_path)
        try:
            names = store.municipalities()["name"].tolist()
        finally:
            store.close()
        real = [n for n in names if n != "Musterstadt"] or names
        if len(real) == 1:
            return real[0]
    raise DataImportError(file, "Bitte die Kommune mit --municipality NAME angeben.")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "hash-password":  # touches no database
        return _hash_password()
    db_path = args.db or default_db_path()
    if args.command == "check":
        return _check(db_path)
    before = link_target(db_path)
    try:
        if args.command in {"demo", "import", "undo"}:
            current_version(db_path)  # a broken database link refuses every write before any work
        if args.command == "undo":
            from data.audit import undo_last

            print(_with_notes(undo_last(db_path, args.kind, args.municipality)))
            return 0
        if args.command == "versions":
            from data.audit import versions_table

            table = versions_table(db_path)
            print(
                table.to_string(index=False)
                if len(table)
                else f"Keine gesicherten Versionen neben {db_path}."
            )
            return 0
        if args.command == "restore":
            from data.audit import restore_version

            print(_with_notes(restore_version(db_path, args.version)))
            return 0
        if args.command == "log":
            from data.audit import import_log

            import_log(db_path).to_csv(sys.stdout, index=False, lineterminator="\n")
            return 0
        if args.command == "demo":
            from data.bootstrap import install_demo

            report = install_demo(db_path, seed=args.seed)
        elif args.kind == "population":
            from data.population import import_population

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            reports = [
                import_population(
                    args.file,
                    db_path,
                    municipality,
                    args.date,
                    mapping=dict(args.map),
                    level=args.level,
                    sheet=s,
                    source=args.source,
                )
                for s in args.sheet or [None]
            ]
            for earlier in reports[:-1]:  # one import per sheet, each undoable on its own
                print(earlier.render())
            report = reports[-1]
        elif args.kind == "register":
            from data.register import import_register

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            report = import_register(args.file, db_path, municipality, args.date)
        elif args.kind == "allocations":
            from data.allocations import import_allocations

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            report = import_allocations(args.file, db_path, municipality)
        elif args.kind == "quota":
            from data.quota import import_quota

            report = import_quota(args.file, db_path)
        elif args.kind == "zensus":
            from data.zensus import import_zensus

            municipality = resolve_municipality(args.municipality, db_path, args.file[0])
            report = import_zensus(args.file, db_path, municipality)
        elif args.kind == "gemeinden":
            from data.regions import import_regions

            report = import_regions(args.file, db_path, args.date, source=args.source)
        elif args.kind == "gemeindegrenzen":
            from data.regions import import_region_boundaries

            report = import_region_boundaries(
                args.file, db_path, id_field=args.id_field, name_field=args.name_field, layer=args.layer
            )
        elif args.kind == "indicator":
            from data.own_indicators import import_indicator, read_meta

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            report = import_indicator(args.file, read_meta(args.meta), db_path, municipality, args.date)
        elif args.kind == "occupancy":
            from data.occupancy import import_occupancy

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            report = import_occupancy(args.file, db_path, municipality)
        else:
            from data.boundaries import import_boundaries

            municipality = resolve_municipality(args.municipality, db_path, args.file)
            report = import_boundaries(
                args.file, db_path, municipality, args.id_field, args.name_field, args.level, layer=args.layer
            )
    except DataImportError as err:
        print(str(err), file=sys.stderr)
        return 1
    except Exception as err:  # never a traceback for a planner; the message still says what broke
        after = link_target(db_path)
        if after != before:  # the write was saved before the error: say so, it is not "nothing changed"
            print(
                f"Die Änderung ist gespeichert (Version {after}), danach trat ein Fehler auf "
                f"({type(err).__name__}): {err}\nDas Protokoll zeigt „python -m data log“.",
                file=sys.stderr,
            )
            return 0
        print(
            f"Unerwarteter Fehler ({type(err).__name__}): {err}\nEs wurde nichts geändert.", file=sys.stderr
        )
        return 1
    print(_with_notes(f"{report.render()}\nDatenbank: {db_path}"))
    return 0


def _hash_password() -> int:
    import getpass

    from data.passwords import hash_password

    password = getpass.getpass("Passwort: ")
    if len(password) < 10 or password != getpass.getpass("Wiederholen: "):
        print("Die Passwörter stimmen nicht überein oder sind kürzer als 10 Zeichen.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _check(db_path: Path) -> int:
    """Open the database read-only, as the app does, and run one query: the readiness check of a
    container or a monitoring system. Writes nothing, builds no demo."""
    try:
        store = Store(db_path)
        try:
            count = int(store.query("SELECT count(*) AS n FROM municipalities")["n"].iloc[0])
        finally:
            store.close()
    except Exception as err:  # every failure is "not ready", said in German
        print(f"Datenbank nicht bereit: {db_path}\n{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(f"Datenbank bereit: {db_path} ({count} Kommunen)")
    return 0


def _with_notes(text: str) -> str:
    return "\n".join([text, *(f"Hinweis: {note}" for note in take_notes())])


if __name__ == "__main__":
    sys.exit(main())
