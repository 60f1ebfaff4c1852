"""Key figures of a quarter and its summary in plain Swedish.

Rules of the summary: a change is only called a change when it is significant
(`lagesbild.numbers.signals`); otherwise the level is given "ungefär som" the comparison. A form or
district is named as driving a change only when its own change is significant and goes the
same way. Partners that have not delivered are named. With a Disclosure every number is a
published cell (the key figures are the quarter's cells of the same cube as every table, so the
overview's total is the trend's value for the quarter); no count below the threshold is
printed (it is written as "<5"); changes and percentages come from published counts and are
left out when one is hidden; p-values are not given (they would give an exact count back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_int, fmt_pct
from lagesbild.domain.periods import shift_quarter
from lagesbild.numbers import signals
from lagesbild.numbers.coverage import missing_partners
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import data_span, published
from lagesbild.numbers.trend import trend
from lagesbild.store import Store

# Key figures: key -> (label, dimension, value). Each is a published cell of its quarter:
# the same number as in every table of the same selection and quarter.
MEASURES: dict[str, tuple[str, str, str]] = {
    "totalt": ("Rapporter totalt", "rapporttyp", TOTAL),  # and konsultation TOTAL
    "oro": ("Orosrapporter", "rapporttyp", "Oro"),
    "incident": ("Incidenter", "rapporttyp", "Incident"),
    "konsultation": ("Till konsultationsforum", "konsultation", "Ja"),
}
# Names of parts of a form/district that are not worth naming as a driver.
_NOT_DRIVERS = {"Ej bedömd", "Annan", "Okänt", "Ej angivet"}


@dataclass(frozen=True)
class Change:
    """A key figure against one earlier quarter (values as published)."""

    base_quarter: str
    base: int | None
    base_display: str
    difference: int | None
    percent: float | None
    p_value: float | None
    significant: bool
    direction: str  # 'ökning', 'minskning' or ''


@dataclass(frozen=True)
class KeyFigure:
    key: str
    label: str
    quarter: str
    value: int | None  # None when hidden
    display: str
    suppressed: bool
    vs_previous: Change
    vs_last_year: Change
    spc: str  # signals.HIGH / LOW / WITHIN / SHORT, '' when hidden


@dataclass(frozen=True)
class KeyFigures:
    quarter: str
    figures: tuple[KeyFigure, ...]
    missing_partners: tuple[str, ...]  # delivered before, nothing for this quarter

    @property
    def incomplete(self) -> bool:
        return bool(self.missing_partners)

    def __getitem__(self, key: str) -> KeyFigure:
        return next(f for f in self.figures if f.key == key)


Cell = tuple[int | None, str, bool, int]  # published value, display, hidden, exact count


def _quarter_cells(store: Store, quarters: list[str], filters: Filters,
                   disclosure: Disclosure | None) -> dict[tuple[str, str], Cell]:
    """{(key figure, quarter): cell} for the quarters, from one cube over report type and
    the consultation forum (with their totals). A value outside the selection (e.g.
    incidents when only concern reports are selected) is a published 0."""
    table = published(store, ["rapporttyp", "konsultation", "kvartal"],
                      filters.with_period(quarters[0], quarters[-1]), disclosure,
                      margins=["rapporttyp", "konsultation"], with_exact=True)
    out: dict[tuple[str, str], Cell] = {}
    for key, (_, dimension, value) in MEASURES.items():
        other = "konsultation" if dimension == "rapporttyp" else "rapporttyp"
        rows = table[(table[dimension] == value) & (table[other] == TOTAL)].set_index("kvartal")
        for quarter in quarters:
            if quarter not in rows.index:
                out[key, quarter] = (0, "0", False, 0)
                continue
            row = rows.loc[quarter]
            hidden = bool(row["undertryckt"])
            out[key, quarter] = (None if hidden else int(row["antal"]), str(row["visas"]),
                                 hidden, int(row["_exakt"]))
    return out


def _change(now: Cell, base: Cell, base_quarter: str, exact: bool) -> Change:
    """Published now against published base; the significance (a flag) from exact counts,
    the p-value only with exact counts."""
    value, _, hidden, exact_now = now
    base_value, base_display, base_hidden, exact_base = base
    if hidden or base_hidden or value is None or base_value is None:
        return Change(base_quarter, base_value, base_display, None, None, None, False, "")
    comp = signals.compare(exact_now, [exact_base])
    return Change(base_quarter, base_value, base_display, value - base_value,
                  signals.percent_change(value, base_value),
                  comp.p_value if exact else None, comp.significant, comp.direction)


def key_figures(store: Store, quarter: str, filters: Filters | None = None,
                disclosure: Disclosure | None = None) -> KeyFigures:
    """Total reports, concern reports, incidents and cases brought to the consultation forum
    for `quarter`, with changes against the previous quarter and the same quarter last year,
    the control-chart signal, and the partners missing for the quarter. One SQL query."""
    filters = filters or Filters()
    quarter = shift_quarter(quarter, 0)
    history = [shift_quarter(quarter, -k) for k in range(signals.SPC_WINDOW, 0, -1)]
    cells = _quarter_cells(store, [*history, quarter], filters, disclosure)
    first = data_span(store)[0] or quarter
    prev_q, year_q = history[-1], history[-4]
    figures = []
    for key, (label, _, _) in MEASURES.items():
        now = cells[key, quarter]
        value, display, hidden, exact_now = now
        earlier = [cells[key, q][3] for q in history if q >= first]
        spc = "" if hidden else signals.spc_signal(exact_now, earlier)
        figures.append(KeyFigure(
            key, label, quarter, value, display, hidden,
            _change(now, cells[key, prev_q], prev_q, disclosure is None),
            _change(now, cells[key, year_q], year_q, disclosure is None),
            spc,
        ))
    missing = missing_partners(store, quarter, filters)
    return KeyFigures(quarter, tuple(figures), tuple(missing))


# -- the summary ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sentence:
    """One sentence of the summary and the figures and flags behind it."""

    text: str
    kind: str  # 'niva', 'forandring', 'signal', 'tackning'
    figures: Mapping[str, object] = field(default_factory=dict)


def _more_less(change: Change, threshold: int, against: str | None = None) -> str:
    """'14 % fler än 2026K2' (or without a percentage when the base is small); `against`
    replaces 'än 2026K2' (e.g. by '')."""
    word = "fler" if (change.difference or 0) > 0 else "färre"
    tail = f" än {change.base_quarter}" if against is None else against
    if change.percent is not None:
        return f"{fmt_pct(abs(change.percent), 0)} {word}{tail}"
    diff = abs(change.difference or 0)
    if diff >= threshold:
        return f"{fmt_int(diff)} {word}{tail}"
    return f"{word}{tail or ' än då'} ({change.base_quarter}: {change.base_display})"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _drivers(store: Store, quarter: str, filters: Filters, direction: str) -> str:
    """'högerextremism i Centrum', 'högerextremism', 'i Centrum' or '' (nothing significant)."""
    prev = shift_quarter(quarter, -1)
    where, params = filters.with_period(None, None).where()
    table = store.cursor().execute(
        "SELECT form, omrade, count(*) FILTER (WHERE kvartal = ?)::BIGINT AS nu, "
        "count(*) FILTER (WHERE kvartal = ?)::BIGINT AS fore FROM reports "
        f"WHERE kvartal IN (?, ?) AND {where} GROUP BY CUBE (form, omrade)",
        [quarter, prev, quarter, prev, *params]).df()
    table = table[~table["form"].isin(_NOT_DRIVERS) & ~table["omrade"].isin(_NOT_DRIVERS)]
    sign = 1 if direction == "ökning" else -1

    def best(rows: pd.DataFrame) -> pd.Series | None:
        rows = rows.assign(diff=(rows["nu"] - rows["fore"]) * sign)
        rows = rows[rows["diff"] > 0].sort_values("diff", ascending=False)
        for _, row in rows.iterrows():
            if signals.is_significant(int(row["nu"]), int(row["fore"])):
                return row
        return None

    single = {"form": len(filters.form) == 1, "omrade": len(filters.omrade) == 1}
    form = None if single["form"] else best(table[table["form"].notna()
                                                  & table["omrade"].isna()])
    area = None if single["omrade"] else best(table[table["omrade"].notna()
                                                    & table["form"].isna()])
    if form is not None and area is not None:
        cell = table[(table["form"] == form["form"]) & (table["omrade"] == area["omrade"])]
        if best(cell) is not None:
            return f"{_lower_first(form['form'])} {_place(area['omrade'])}"
    if form is not None:
        return _lower_first(form["form"])
    if area is not None:
        return _place(area["omrade"])
    return ""


def _place(district: str) -> str:
    return "digitalt" if district == "Digitalt" else f"i {district}"


def summarize(store: Store, quarter: str, filters: Filters | None = None,
              disclosure: Disclosure | None = None) -> list[Sentence]:
    """The quarter in a few plain Swedish sentences, each with the figures behind it."""
    filters = filters or Filters()
    figures = key_figures(store, quarter, filters, disclosure)
    quarter = figures.quarter
    threshold = disclosure.threshold if disclosure else 0
    total = figures["totalt"]
    sentences: list[Sentence] = []
    if total.value == 0:
        sentences.append(Sentence(f"Under {quarter} kom inga rapporter.", "niva",
                                  {"totalt": 0}))
    else:
        sentences += _total_sentences(store, figures, filters, threshold)
        sentences += _part_sentences(figures, threshold)
        sentences += _signal_sentences(store, quarter, filters, disclosure)
    if figures.missing_partners:
        names = list(figures.missing_partners)
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}"
        sentences.append(Sentence(
            f"{who} har inte rapporterat för {quarter}; siffrorna för kvartalet är därför "
            "ofullständiga.", "tackning", {"saknas": names}))
    return sentences


def _total_sentences(store: Store, figures: KeyFigures, filters: Filters,
                     threshold: int) -> list[Sentence]:
    total, quarter = figures["totalt"], figures.quarter
    prev, year = total.vs_previous, total.vs_last_year
    facts = {"totalt": total.value, "visas": total.display, "jamforelse": prev.base_quarter,
             "bas": prev.base, "procent": prev.percent, "p_varde": prev.p_value,
             "signifikant": prev.significant}
    start = f"Under {quarter} kom {total.display} rapporter"
    if prev.significant:
        text = f"{start}, {_more_less(prev, threshold)}"
        driver = _drivers(store, quarter, filters, prev.direction)
        if driver:
            text += f"; {prev.direction}en gäller främst {driver}"
            facts["drivare"] = driver
        out = [Sentence(text + ".", "forandring", facts)]
    elif prev.base is not None or prev.base_display:
        out = [Sentence(f"{start}, ungefär som föregående kvartal ({prev.base_quarter}: "
                        f"{prev.base_display}).", "niva", facts)]
    else:
        out = [Sentence(f"{start}.", "niva", facts)]
    year_facts = {"jamforelse": year.base_quarter, "bas": year.base, "procent": year.percent,
                  "p_varde": year.p_value, "signifikant": year.significant}
    if year.significant:
        out.append(Sentence(f"Jämfört med samma kvartal i fjol ({year.base_quarter}) är det "
                            f"{_more_less(year, threshold, '')}.", "forandring", year_facts))
    elif year.base is not None:
        out.append(Sentence(f"Jämfört med samma kvartal i fjol ({year.base_quarter}: "
                            f"{year.base_display}) är nivån ungefär densamma.", "niva",
                            year_facts))
    if total.spc in (signals.HIGH, signals.LOW):
        out.append(Sentence(f"Antalet rapporter är {total.spc} {signals.SPC_SUFFIX}.",
                            "signal", {"totalt": total.value, "spc": total.spc}))
    return out


def _part_sentences(figures: KeyFigures, threshold: int) -> list[Sentence]:
    oro, incident, forum, total = (figures["oro"], figures["incident"],
                                   figures["konsultation"], figures["totalt"])
    out = [Sentence(f"Av rapporterna var {oro.display} orosrapporter om enskilda personer och "
                    f"{incident.display} incidenter.", "niva",
                    {"oro": oro.value, "incident": incident.value})]
    share = ""
    if forum.value is not None and total.value:
        share = f" ({fmt_pct(forum.value / total.value * 100, 0)} av rapporterna)"
    out.append(Sentence(f"{forum.display} ärenden togs upp i konsultationsforum{share}.",
                        "niva", {"konsultation": forum.value}))
    for fig, name in ((oro, "Orosrapporterna"), (incident, "Incidenterna"),
                      (forum, "Ärendena i konsultationsforum")):
        change = fig.vs_previous
        if change.significant:
            phrase = _more_less(change, threshold, f" än under {change.base_quarter}")
            out.append(Sentence(f"{name} var {phrase}.", "forandring",
                                {"nyckel": fig.key, "procent": change.percent,
                                 "p_varde": change.p_value}))
    return out


def _signal_sentences(store: Store, quarter: str, filters: Filters,
                      disclosure: Disclosure | None) -> list[Sentence]:
    table = trend(store, filters.with_period(quarter, quarter), by="form",
                  disclosure=disclosure)
    flagged = table[table["signal"].astype(bool) & ~table["undertryckt"].to_numpy()]
    out = []
    for row in flagged.itertuples(index=False):
        out.append(Sentence(
            f"Antalet rapporter om {_lower_first(row.form)} ({row.visas}) är "
            f"{row.signal_text}.", "signal",
            {"form": row.form, "antal": row.antal, "baslinje": row.baslinje,
             "ovre_grans": row.ovre_grans, "nedre_grans": row.nedre_grans}))
    return out
