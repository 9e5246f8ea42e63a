"""The one clock: nothing in the package reads the system time but quizapp/clock.py."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizapp.clock import SYSTEM_CLOCK, SettableClock, app_clock, utcnow

PACKAGE = Path(__file__).resolve().parents[2] / "quizapp"
# Every way of reading the calendar time from the standard library.
SYSTEM_TIME = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.(?:time|time_ns|localtime|gmtime"
    r"|ctime|asctime)|datetime\.fromtimestamp)\s*\("
)


def test_only_the_clock_reads_the_system_time():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "clock.py" and path.parent == PACKAGE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if SYSTEM_TIME.search(code):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not offenders, "read the time through quizapp.clock:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_must():
    for line in (
        "x = datetime.now(UTC)",
        "t = time.time()",
        "d = date.today()",
        "datetime.utcnow ()",
        "datetime.fromtimestamp(0)",
    ):
        assert SYSTEM_TIME.search(line), line
    for line in ("now = clock.now()", "elapsed = time.monotonic()", "stamp = utcnow()"):
        assert not SYSTEM_TIME.search(line), line


def test_settable_clock_is_frozen_until_moved():
    start = datetime(2026, 10, 14, 16, 59, 59, tzinfo=UTC)
    clock = SettableClock(start)
    time.sleep(0.01)
    assert clock.now() == start
    assert clock.advance(seconds=1) == start + timedelta(seconds=1)
    moved = clock.advance(timedelta(days=1), hours=2)
    assert moved == start + timedelta(days=1, hours=2, seconds=1)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.set(datetime(2030, 1, 1))  # naive: refused
    with pytest.raises(ValueError):
        SettableClock(datetime(2030, 1, 1))


def test_ticking_clock_runs_from_its_start():
    start = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    clock = SettableClock(start, ticking=True)
    time.sleep(0.02)
    first = clock.now()
    assert start < first < start + timedelta(seconds=5)
    clock.advance(minutes=5)
    assert clock.now() >= first + timedelta(minutes=5)


def test_outside_an_app_the_system_clock_answers():
    assert app_clock() is SYSTEM_CLOCK
    assert abs(utcnow() - SYSTEM_CLOCK.now()) < timedelta(seconds=5)
