"""The application's one clock: every reading of the current time goes through here.

`create_app` puts a clock on `app.extensions["quizapp_clock"]`; the request layer, the CLI
commands, the signing code, the audit log and the models' column defaults read it through
`utcnow()`. Services never read it: they are given `now`. Tests and benchmarks hand
`create_app` a `SettableClock`, so a test owns the time and moves it (`clock.advance(...)`)
instead of sleeping, and the suite passes on any date. Nothing else in the package reads the
system time (tests/unit/test_clock.py greps for it).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import current_app, has_app_context


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real time (production, `make run`)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock a test or a benchmark owns: it starts at `start` and moves only when told to
    (`set`, `advance`), or, with `ticking=True`, also runs forward at the real pace from
    `start` (browser tests, whose pages count down in real time against a server whose date
    the test chose)."""

    def __init__(self, start: datetime, *, ticking: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._lock = threading.Lock()
        self._start = start.astimezone(UTC)
        self._ticking = ticking
        self._since = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            if not self._ticking:
                return self._start
            return self._start + timedelta(seconds=time.monotonic() - self._since)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        with self._lock:
            self._start = moment.astimezone(UTC)
            self._since = time.monotonic()

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the clock forward by `delta` or by timedelta's keyword parts
        (`clock.advance(minutes=20)`); returns the new time."""
        step = (delta or timedelta()) + timedelta(**parts)
        self.set(self.now() + step)
        return self.now()


SYSTEM_CLOCK = SystemClock()


def app_clock() -> Clock:
    """The running app's clock; the system clock outside an app (scripts, pure tools)."""
    if has_app_context():
        return current_app.extensions["quizapp_clock"]
    return SYSTEM_CLOCK


def utcnow() -> datetime:
    """Now, in UTC, by the app's clock (also the models' column default)."""
    return app_clock().now()
