"""The one naming function for exported files: clean, meaningful ASCII.

    >>> export_name("2026K3", "Trender per form", "png")
    '2026K3_trender_per_form.png'
    >>> export_name("2025K4–2026K3", "Rapporter per stadsdel", "svg")
    '2025K4-2026K3_rapporter_per_stadsdel.svg'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from lagesbild.charts import ActiveFilters
from lagesbild.domain.text import ascii_slug

MAX_STEM = 120
MAX_VALUES = 3  # filter values named in a file name; more are summarised


def _period_slug(period: str | None) -> str:
    if not period:
        return ""
    text = str(period).replace("\u2013", "-").replace("\u2014", "-")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z-]+", "-", text).strip("-")
    return re.sub(r"(\d{4})[kKqQ]([1-4])", r"\1K\2", text)


def _filter_slug(filters: ActiveFilters | Mapping[str, Sequence[str]] | None) -> str:
    active: Mapping[str, Sequence[str]] = (
        filters.active() if isinstance(filters, ActiveFilters) else dict(filters or {}))
    parts = []
    for field, values in active.items():
        values = tuple(values)
        if not values:
            continue
        shown = [ascii_slug(str(v)) for v in values[:MAX_VALUES]]
        if len(values) > MAX_VALUES:
            shown.append(f"m_fl{len(values) - MAX_VALUES}")
        parts.append("_".join([ascii_slug(field), *shown]))
    return "_".join(parts)


def export_name(period: str | None, name: str, ext: str, *,
                filters: ActiveFilters | Mapping[str, Sequence[str]] | None = None,
                public: bool = False) -> str:
    """`{period}_{name}[_{filters}][_publik].{ext}`, ASCII letters, digits, '_' and '-' only.

    period: '2026K3' or '2025K4–2026K3' (the en dash becomes '-'); name: any Swedish text;
    filters: a `query.Filters` or {field: values}; only active filters are named.
    """
    pieces = [p for p in (_period_slug(period), ascii_slug(name), _filter_slug(filters),
                          "publik" if public else "") if p]
    stem = "_".join(pieces)[:MAX_STEM].rstrip("_-") or "export"
    suffix = re.sub(r"[^a-z0-9]", "", ext.lower().lstrip("."))
    return f"{stem}.{suffix}" if suffix else stem
