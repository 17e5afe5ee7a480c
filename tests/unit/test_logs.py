"""The JSON log format: one object per line, stamped with the record's creation time."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from service.runtime.logs import JsonFormatter

CREATED = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("reform_tracker.http", logging.WARNING, __file__, 1, message, (), None)
    made.created = CREATED.timestamp()  # as if it had waited before being formatted
    made.__dict__.update(extra)
    return made


def test_a_line_carries_the_time_the_record_was_created() -> None:
    line = JsonFormatter().format(record("slow", request_id="r-1"))
    assert json.loads(line) == {
        "timestamp": "2026-11-25T09:00:00.123456Z",
        "level": "warning",
        "logger": "reform_tracker.http",
        "message": "slow",
        "process": record("").process,
        "request_id": "r-1",
    }


def test_a_traceback_stays_inside_its_one_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        failed = record("failed")
        failed.exc_info = sys.exc_info()
    line = JsonFormatter().format(failed)
    assert "\n" not in line
    assert "ValueError: broken" in json.loads(line)["exc_info"]
