"""Dates and times: stored in UTC, shown and entered in Asia/Ho_Chi_Minh as dd/mm/yyyy (pure)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: object) -> date | None:
    """Parse dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd, or a spreadsheet date).

    Returns None for an empty value and raises ValueError for anything else unreadable.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if m := _DMY.match(text):
        d, mth, y = (int(x) for x in m.groups())
    elif m := _YMD.match(text):
        y, mth, d = (int(x) for x in m.groups())
    else:
        raise ValueError(text)
    return date(y, mth, d)  # raises ValueError for 31/02/2020


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(VN)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"  # strftime, a third of the time


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time (with `seconds`, HH:MM:SS: two submissions in the
    same minute told apart)."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def local_today(now: datetime) -> date:
    return to_local(now).date()


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def from_local(naive: datetime) -> datetime:
    """A wall-clock time entered in Vietnam (naive) as an aware UTC datetime."""
    return naive.replace(tzinfo=VN).astimezone(UTC)


def local_input(moment: datetime | None) -> datetime | None:
    """An aware datetime as the naive Vietnam wall-clock time a form field shows."""
    return None if moment is None else moment.astimezone(VN).replace(tzinfo=None)
