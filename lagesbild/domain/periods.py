"""Quarters written the Swedish way: 2026K3."""

from __future__ import annotations

import datetime as dt
import re

_QUARTER = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*[KkQq]\s*([1-4])\s*$")


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026K3' -> (2026, 3). Raises ValueError with a Swedish message."""
    match = _QUARTER.match(text or "")
    if not match:
        raise ValueError(f"{text!r} är inte ett kvartal. Skriv t.ex. 2026K3.")
    return int(match.group(1)), int(match.group(2))


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}K{quarter}"


def quarter_of(date: dt.date) -> str:
    return quarter_label(date.year, (date.month - 1) // 3 + 1)


def shift_quarter(label: str, steps: int) -> str:
    """The quarter `steps` quarters after (negative: before) `label`."""
    year, quarter = parse_quarter(label)
    index = year * 4 + quarter - 1 + steps
    return quarter_label(index // 4, index % 4 + 1)


def quarter_start(label: str) -> dt.date:
    year, quarter = parse_quarter(label)
    return dt.date(year, 3 * quarter - 2, 1)


def quarter_end(label: str) -> dt.date:
    return quarter_start(shift_quarter(label, 1)) - dt.timedelta(days=1)


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from first to last, inclusive."""
    (y1, q1), (y2, q2) = parse_quarter(first), parse_quarter(last)
    count = (y2 * 4 + q2) - (y1 * 4 + q1) + 1
    return [shift_quarter(first, i) for i in range(max(count, 0))]


def latest_complete_quarter(today: dt.date | None = None) -> str:
    """The last quarter that has ended before `today`."""
    return shift_quarter(quarter_of(today or dt.date.today()), -1)


DEFAULT_QUARTERS = 8  # the dashboard's and the exports' default period


def default_period(first: str | None, last: str | None, today: dt.date | None = None,
                   quarters: int = DEFAULT_QUARTERS) -> tuple[str, str] | None:
    """The default period for data from `first` to `last`: the last `quarters` complete
    quarters that have data (the latest quarter with data when none is complete yet), never
    starting before `first`. None without data."""
    if not first or not last:
        return None
    complete = latest_complete_quarter(today)
    end = last if parse_quarter(last) <= parse_quarter(complete) else complete
    if parse_quarter(end) < parse_quarter(first):
        end = last
    start = shift_quarter(end, -(quarters - 1))
    return (start if parse_quarter(start) >= parse_quarter(first) else first), end
