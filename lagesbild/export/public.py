"""The public variant for the municipality's web page.

Only coarse indicators — reports per quarter and per year, per form of extremism and per
district over the period; no cross-tabulation of gender and age, no partners, no consultation
forum — under the stricter public disclosure rule (config.settings().public_disclosure:
threshold 10, rounding to 5), plus the support lines from data/stodlinjer.toml when that file
exists (entries or fields still marked "[Fyll i: …]" are left out).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lagesbild.domain import config
from lagesbild.domain.config import Disclosure
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import summary
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

SUPPORT_FILE_NAME = "stodlinjer.toml"
SUPPORT_GROUPS = {"nationella": "Nationella stödlinjer", "kommunen": "I Umeå kommun"}
_PLACEHOLDER = "[Fyll i"


@dataclass(frozen=True)
class SupportLine:
    group: str  # heading, e.g. "Nationella stödlinjer"
    name: str
    number: str  # "" when not filled in
    description: str
    web: str
    verify: bool  # the entry is marked to be checked

    def text(self) -> str:
        parts = [self.name + (f": {self.number}" if self.number else "")]
        if self.verify:
            parts[0] += " (verifiera)"
        if self.description:
            parts.append(self.description)
        if self.web:
            parts.append(self.web)
        return " – ".join(parts)


def support_file() -> Path:
    return config.DATA_DIR / SUPPORT_FILE_NAME


def _filled(value: object) -> str:
    text = str(value or "").strip()
    return "" if text.startswith(_PLACEHOLDER) else text


def support_lines(path: Path | None = None) -> list[SupportLine]:
    """The support lines to publish; [] when the file is missing or cannot be read."""
    path = path or support_file()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    lines = []
    for key, heading in SUPPORT_GROUPS.items():
        for entry in raw.get(key, []) or []:
            if not isinstance(entry, dict):
                continue
            name = _filled(entry.get("namn"))
            number = _filled(entry.get("nummer"))
            if not name or not (number or _filled(entry.get("webb"))):
                continue  # nothing a reader could use yet
            lines.append(SupportLine(heading, name, number, _filled(entry.get("beskrivning")),
                                     _filled(entry.get("webb")), bool(entry.get("verifiera"))))
    return lines


def summary_sentences(figures: summary.KeyFigures) -> list[str]:
    """A short neutral summary from the published total only: what its flags support, the
    same quarter last year as numbers otherwise (issue 13)."""
    total = figures["totalt"]
    flag, year = total.flag, total.vs_last_year
    out = [f"Under {figures.quarter} kom {total.display} rapporter om våldsbejakande "
           "extremism från kommunens samverkanspartner."]
    if flag.unusual:
        out.append(f"Antalet är {flag.unusual} jämfört med tidigare kvartal.")
    if flag.sustained:
        out.append(f"De fyra senaste kvartalen visar en {flag.sustained} jämfört med de fyra "
                   "kvartalen före.")
    if not flag.flagged and year.available:
        if flag.withheld:
            out.append(f"Samma kvartal i fjol ({year.base_quarter}): {year.numbers()}.")
        else:
            out.append(f"Jämfört med samma kvartal i fjol ({year.base_quarter}): "
                       f"{year.no_change()}.")
    if figures.missing_partners:
        out.append("Alla verksamheter har ännu inte rapporterat för kvartalet; siffrorna kan "
                   "bli högre.")
    return out


def public_tables(store: Store, filters: Filters, disclosure: Disclosure) \
        -> dict[str, pd.DataFrame]:
    """The coarse tables of the public variant, each disclosure-controlled on its own."""
    return {
        "Per kvartal": ind.counts(store, ["kvartal"], filters, disclosure),
        "Per år": ind.counts(store, ["ar"], filters, disclosure),
        "Per form": ind.counts(store, ["form"], filters, disclosure),
        "Per stadsdel": ind.counts(store, ["omrade"], filters, disclosure),
    }
