"""One logging configuration for every process: each line written is one JSON object.

The API, gunicorn (error and access logs), the RQ worker and scheduler and
`reform-tracker up` all log through one handler on the root logger, configured from
the one dict below (gunicorn takes it as ``logconfig_dict``), so a log collector reads
one format whatever process wrote the line, and libraries that log (rq, redis-py,
gunicorn) need no handlers of their own: rq adds its plain-text ones only when no
handler is found. Every object carries ``timestamp`` (when the record was created, not
when it was formatted, so a line that waited for the stream lock keeps its own time),
``level``, ``logger``, ``message``, ``process`` (pid: under `up` several processes share
one stderr) and the record's extra fields, e.g. ``request_id``. Logs go to stderr;
stdout is left to what a command prints for its user.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from service.runtime.clock import isoformat

FIELDS = ["levelname", "name", "message", "process"]
RENAMED = {"levelname": "level", "name": "logger"}
# gunicorn's access record: a short message; its parts become fields (AccessFields).
ACCESS_FORMAT = "%(m)s %(U)s %(s)s"


class JsonFormatter(LibraryJsonFormatter):
    def __init__(self) -> None:
        super().__init__(FIELDS, rename_fields=RENAMED, timestamp=True, json_default=str)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        stamp = log_data.pop("timestamp")
        if isinstance(stamp, datetime):  # the service's one spelling of a moment
            stamp = isoformat(stamp)
        log_data["level"] = str(log_data["level"]).lower()
        return {"timestamp": stamp, **log_data}  # first, for a person reading the lines


class StderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a record is emitted, not when logging was
    configured, so that whoever swaps it (a test capturing a command's output) gets the
    lines."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # emit() runs under the handler's lock
        super().emit(record)


class AccessFields(logging.Filter):
    """gunicorn hands its access record the request's atoms as arguments; keep the ones
    worth searching on as fields, the request id among them (set by the API's response)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, Mapping):
            record.method = atoms["m"]
            record.path = atoms["U"]
            record.status = atoms["s"]
            micros = atoms["D"]
            record.duration_ms = round(micros / 1000, 2) if isinstance(micros, int) else None
            record.remote_addr = atoms["h"]
            record.request_id = atoms["{x-request-id}o"]
        return True


def logging_config(level: str) -> dict[str, Any]:
    """The logging configuration of every process (``logging.config.dictConfig`` form)."""
    level = level.upper()
    handler = {"()": StderrHandler, "formatter": "json"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"access": {"()": AccessFields}},
        "handlers": {"json": handler, "access": {**handler, "filters": ["access"]}},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            # gunicorn stops these two from propagating, so each gets the handler itself.
            "gunicorn.error": {"level": level, "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


def configure(level: str) -> None:
    """Configure this process's logging (once; later calls only change the level), and
    log an uncaught exception as one record instead of a bare traceback."""
    root = logging.getLogger()
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        root.setLevel(level.upper())
    else:
        logging.config.dictConfig(logging_config(level))
    sys.excepthook = _log_uncaught


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("reform_tracker").critical(
        "uncaught exception", exc_info=(kind, error, trace)
    )
