"""Every setting of the Integrationsmonitor, read in one place.

Environment variables (for a container, a systemd unit or a shell) and the sections of
`.streamlit/secrets.toml` (for what must stay secret). The README's table "Einstellungen" says what
each one means; `tests/test_ops.py` checks that it names every one. Nothing else reads `os.environ` or
`st.secrets` for the app's own settings.

This module is a leaf: it imports neither Streamlit (only `secret_section` does, when called) nor any
package of the app, so `data`, `indicators` and `charts` may read their settings from it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent

# --- environment variables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Env:
    name: str
    default: str


DB = Env("INTEGRATIONSMONITOR_DB", "data/integrationsmonitor.duckdb")
THRESHOLD = Env("INTEGRATIONSMONITOR_THRESHOLD", "3")
#: Streamlit's own variable for `server.maxUploadSize`: one number for the uploader and the importers
MAX_UPLOAD = Env("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "50")
ORGANISATION = Env("INTEGRATIONSMONITOR_ORGANISATION", "")  # publisher on the report's title page
LOGO = Env("INTEGRATIONSMONITOR_LOGO", "")  # PNG/JPEG on the report's title page
LOG_LEVEL = Env("INTEGRATIONSMONITOR_LOG_LEVEL", "INFO")
LOG_FORMAT = Env("INTEGRATIONSMONITOR_LOG_FORMAT", "text")  # or "json"
#: TOML with the weights of a combined index per municipality (`index_weights`); none without it
INDEX = Env("INTEGRATIONSMONITOR_INDEX", "data/gesamtindex.toml")

ENVIRONMENT = (DB, THRESHOLD, MAX_UPLOAD, ORGANISATION, LOGO, LOG_LEVEL, LOG_FORMAT, INDEX)

#: the sections of .streamlit/secrets.toml the app reads (through `secret_section`)
SECRETS = ("editors", "editor_session", "auth", "editor_emails", "editor_groups", "legal")


def _get(env: Env) -> str:
    return os.environ.get(env.name, "").strip() or env.default


def db_path() -> Path:
    """The configured database; a relative path is taken from the repository folder."""
    path = Path(_get(DB))
    return path if path.is_absolute() or DB.name in os.environ else REPO / path


def threshold() -> int:
    value = int(_get(THRESHOLD))
    if value < 1:
        raise ValueError(f"{THRESHOLD.name} must be at least 1, got {value}")
    return value


def max_upload_mb() -> int:
    return int(_get(MAX_UPLOAD))


def organisation() -> str:
    return _get(ORGANISATION)


def logo() -> Path | None:
    text = _get(LOGO)
    return Path(text) if text else None


def index_path() -> Path:
    """The TOML with the index weights; a relative path is taken from the repository folder."""
    path = Path(_get(INDEX))
    return path if path.is_absolute() or INDEX.name in os.environ else REPO / path


def index_weights(path: Path | None = None) -> dict[str, dict[str, float]]:
    """The weights of the combined index per municipality: `{"Lünen": {"own_sgb2_pct": 2.0, …}}`,
    empty where the file does not exist (no municipality has an index then).

    The file has one table per municipality with a table `gewichte` of indicator keys and weights:

        ["Lünen".gewichte]
        own_sgb2_pct = 2
        foreigner_share_pct = 1

    Raises ValueError with every problem of the file in German (not TOML, no `gewichte`, a weight that
    is not a positive number). Whether the keys exist is checked against the municipality's catalogue
    (`indicators.composite_index.check_weights`), which only the app knows."""
    import tomllib

    path = path or index_path()
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path.name}: keine gültige TOML-Datei ({error}).") from error
    problems, out = [], {}
    for municipality, section in raw.items():
        weights = section.get("gewichte") if isinstance(section, dict) else None
        if not isinstance(weights, dict) or not weights:
            problems.append(
                f"{path.name}, [{municipality}]: Tabelle „gewichte“ mit Kennzahl = Gewicht fehlt."
            )
            continue
        out[municipality] = {}
        for key, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
                problems.append(
                    f"{path.name}, [{municipality}.gewichte]: das Gewicht von „{key}“ muss eine positive "
                    f"Zahl sein, nicht {weight!r}."
                )
            else:
                out[municipality][str(key)] = float(weight)
    if problems:
        raise ValueError(" ".join(problems))
    return out


def secret_section(section: str) -> dict:
    """One section of `.streamlit/secrets.toml` (empty when the file or the section is missing)."""
    import streamlit as st

    try:
        return dict(st.secrets.get(section, {}))
    except FileNotFoundError:
        return {}


# --- logging --------------------------------------------------------------------------------------

LOGGER = "integrationsmonitor"
_HANDLER_MARK = "_integrationsmonitor_handler"


class OneLineFormatter(logging.Formatter):
    """`2026-12-02T08:30:00+00:00 INFO integrationsmonitor.auth editor signed in user='planung' …`;
    a traceback stays on the same line (newlines shown as ` | `), so one event is one line."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}{_fields_text(record)}"
        if record.exc_info:
            text += " | " + self.formatException(record.exc_info)
        return text.replace("\r", "").replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the event's fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")


def _fields_text(record: logging.LogRecord) -> str:
    fields = getattr(record, "fields", {})
    return "".join(f" {key}={value!r}" for key, value in fields.items())


def configure_logging(stream=None) -> logging.Logger:
    """The app's loggers (`integrationsmonitor`, `integrationsmonitor.*`) write to stderr, one line per
    event, at `INTEGRATIONSMONITOR_LOG_LEVEL`, as text or JSON. Safe to call on every rerun: the handler
    is installed once (and replaced when called with another stream, as tests do)."""
    logger = logging.getLogger(LOGGER)
    level = _get(LOG_LEVEL).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"{LOG_LEVEL.name}: unknown level {level!r}")
    fmt = _get(LOG_FORMAT).lower()
    if fmt not in {"text", "json"}:
        raise ValueError(f"{LOG_FORMAT.name}: 'text' or 'json', got {fmt!r}")
    target = stream or sys.stderr
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        if stream is None and old.stream is sys.stderr and old.formatter.__class__ is _FORMATTERS[fmt]:
            logger.setLevel(level)
            return logger
        logger.removeHandler(old)
    handler = logging.StreamHandler(target)
    handler.setFormatter(_FORMATTERS[fmt]())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    logger.setLevel(level)  # still propagates: the root logger has no handler unless a host adds one
    return logger


_FORMATTERS = {"text": OneLineFormatter, "json": JsonFormatter}


def event(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """One event with its fields: `key=value` after the message in text, keys of their own in JSON.
    Never pass a password or a file's content."""
    logger.log(level, message, extra={"fields": fields})
