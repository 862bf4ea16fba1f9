"""Errors of the data layer, worded for the planner who loaded the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def rows_text(n: int) -> str:
    """ "1 Zeile", "13 Zeilen", "1.024 Zeilen"."""
    return f"{n:,}".replace(",", ".") + (" Zeile" if n == 1 else " Zeilen")


@dataclass(frozen=True)
class Problem:
    """One finding about one cell, row or column of an input file."""

    message: str
    row: int | None = None  # as a spreadsheet shows it: the header is row 1
    column: str | None = None
    severity: str = "error"  # "error" refuses the file, "warning" is reported only

    def describe(self, file_name: str) -> str:
        where = [f"Datei {file_name}"]
        if self.row is not None:
            where.append(f"Zeile {self.row}")
        if self.column is not None:
            where.append(f'Spalte "{self.column}"')
        return f"{', '.join(where)}: {self.message}"


class DataImportError(Exception):
    """An input file was refused. Nothing was written. `str()` is the German message for people."""

    def __init__(self, file: str | Path, problems: list[Problem] | str):
        self.file_name = Path(file).name
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = [p for p in problems if p.severity == "error"] or problems
        super().__init__(self.render())

    def render(self, limit: int = 50) -> str:
        lines = [p.describe(self.file_name) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"… und {len(self.problems) - limit} weitere Fehler.")
        head = f"Die Datei {self.file_name} wurde nicht importiert; es wurde nichts geändert."
        return "\n".join([head, *lines])


@dataclass
class ImportReport:
    """What an import did, for the CLI and the upload page."""

    kind: str
    file_name: str
    municipality: str
    rows: int
    reference_dates: list = field(default_factory=list)
    replaced: str = ""
    warnings: list[Problem] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"{self.file_name}: {rows_text(self.rows)} importiert ({self.kind}, {self.municipality})."]
        if self.replaced:
            lines.append(f"Ersetzt: {self.replaced}")
        lines += [f"Hinweis: {w.describe(self.file_name)}" for w in self.warnings]
        return "\n".join(lines)
