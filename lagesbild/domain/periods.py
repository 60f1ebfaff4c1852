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
