"""Key figures of a quarter and its summary in plain Swedish.

Rules of the summary (issue 13): it only says what a flag supports – ovanligt högt or lågt,
varaktig ökning or minskning, from the signal panels (`lagesbild.numbers.panels`). Changes
against the previous quarter and the same quarter last year are numbers, like for like (only
the partners that delivered both quarters): "ingen säkerställd förändring (122 → 142)" when
nothing is flagged, never "ungefär som" and never "X % fler" as a verdict. A form or district
is named as a driver only when that series is itself flagged the same way in the same quarter.
When nothing is flagged it says so plainly; when a quarter cannot be assessed it says why.
Partners that have not delivered are named, and the comparisons are made without them. With
a Disclosure no count below the threshold is printed (it is written as "<5"), a flag only
where the count it flags is published, an expected value only where its window is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_change, fmt_int, fmt_pct
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import signals as sg
from lagesbild.numbers.coverage import missing_partners
from lagesbild.numbers.disclosure import SECONDARY_MARK, TOTAL, publish_part
from lagesbild.numbers.panels import (
    KEY_FIGURES,
    NO_FLAG,
    Flag,
    Panel,
    flag_table,
    join_names,
    signal_panels,
    window_start,
)
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import norm_quarter, published, role_filters
from lagesbild.numbers.trend import SeriesView, series_view
from lagesbild.store import Store

# Key figures: key -> (label, SQL condition).
MEASURES = KEY_FIGURES
# Names of parts of a form/district that are not worth naming as a driver.
_NOT_DRIVERS = {"Ej bedömd", "Annan", "Okänt", "Ej angivet"}
# What each key figure is called in a sentence: as subject, and after "av".
_SUBJECT = {"totalt": "Antalet rapporter", "oro": "Antalet orosrapporter",
            "incident": "Antalet incidenter",
            "konsultation": "Antalet ärenden i konsultationsforum"}
_OF = {"totalt": "rapporterna", "oro": "orosrapporterna", "incident": "incidenterna",
       "konsultation": "ärendena i konsultationsforum"}


# Under every table or card of changes (overview, report, slides).
CHANGES_NOTE = (
    "Förändringarna är antal och procent (procent när jämförelsetalet är minst "
    f"{sg.MIN_BASE_FOR_PERCENT}), inga bedömningar, och räknar bara verksamheter som har "
    "rapporterat båda kvartalen (annars: ej jämförbart).")


@dataclass(frozen=True)
class Change:
    """A key figure against one earlier quarter, like for like (only the partners that
    delivered both quarters), as published: numbers, no verdict."""

    base_quarter: str
    base: int | None  # None when hidden or when there is nothing to compare with
    base_display: str
    current: int | None  # the quarter's count over the same partners
    current_display: str
    difference: int | None
    percent: float | None  # None when the base is below sg.MIN_BASE_FOR_PERCENT
    left_out: tuple[str, ...] = ()  # partners not counted (missing in one of the quarters)
    note: str = ""  # why there is no comparison ('' when there is one)
    # False: the like-for-like counts would give a left-out partner's small count away, so
    # base and current are the quarters' own published counts, without a difference.
    comparable: bool = True

    @property
    def available(self) -> bool:
        return not self.note

    def arrow(self) -> str:
        """'122 → 142' (as published: '<5 → 12'), '' without a comparison."""
        return f"{self.base_display} → {self.current_display}" if self.available else ""

    def _caveat(self) -> str:
        return f"inte jämförbara: {join_names(self.left_out)} saknas i ett av kvartalen"

    def numbers(self) -> str:
        """'122 → 142 (+16 %)', '144 → 154 (ej jämförbart)', or why there is no comparison
        (for cards and tables; the partners left out are named beside them)."""
        if not self.available:
            return self.note
        if not self.comparable:
            return f"{self.arrow()} (ej jämförbart)"
        pct = f" ({fmt_change(self.percent)})" if self.percent is not None else ""
        return f"{self.arrow()}{pct}"

    def no_change(self) -> str:
        """'ingen säkerställd förändring (122 → 142)' (`signals.no_change_text`); with the
        caveat when the counts are not like for like."""
        if not self.comparable:
            return f"ingen säkerställd förändring ({self.arrow()}, {self._caveat()})"
        if self.base is None or self.current is None:
            return f"ingen säkerställd förändring ({self.arrow()})"
        return sg.no_change_text(sg.Change(self.current, self.base, self.base_quarter))


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
    flag: Flag  # ovanligt / varaktig, as shown for the role (panels.Flag)


@dataclass(frozen=True)
class KeyFigures:
    quarter: str
    figures: tuple[KeyFigure, ...]
    missing_partners: tuple[str, ...]  # delivered before, nothing for this quarter

    @property
    def incomplete(self) -> bool:
        return bool(self.missing_partners)

    @property
    def left_out(self) -> tuple[str, ...]:
        """Partners not counted in the total's comparisons (flags and changes)."""
        total = self["totalt"]
        names = [*total.flag.left_out, *total.flag.sustained_left_out,
                 *total.vs_previous.left_out, *total.vs_last_year.left_out]
        return tuple(dict.fromkeys(names))

    def __getitem__(self, key: str) -> KeyFigure:
        return next(f for f in self.figures if f.key == key)


Cell = tuple[int | None, str, bool]  # published value (None when hidden), display, hidden
# Key figures as cells of one cube: key -> (dimension, value); the other dimension is TOTAL.
_CELLS = {"totalt": ("rapporttyp", TOTAL), "oro": ("rapporttyp", "Oro"),
          "incident": ("rapporttyp", "Incident"), "konsultation": ("konsultation", "Ja")}


def _key_cells(store: Store, quarters: list[str], filters: Filters,
               disclosure: Disclosure | None) -> dict[str, list[Cell]]:
    """{key figure: [cell per quarter]}: the published cells of one cube over report type and
    the consultation forum (with their totals), so the overview's total is the trend's value
    for the quarter. A value outside the selection (incidents when only concern reports are
    selected) is a published 0."""
    table = published(store, ["rapporttyp", "konsultation", "kvartal"],
                      filters.with_period(quarters[0], quarters[-1]), disclosure,
                      margins=["rapporttyp", "konsultation"])
    out: dict[str, list[Cell]] = {}
    for key in KEY_FIGURES:
        dimension, value = _CELLS[key]
        other = "konsultation" if dimension == "rapporttyp" else "rapporttyp"
        rows = table[(table[dimension] == value) & (table[other] == TOTAL)].set_index("kvartal")
        cells: list[Cell] = []
        for quarter in quarters:
            if quarter not in rows.index:
                cells.append((0, "0", False))
                continue
            row = rows.loc[quarter]
            hidden = bool(row["undertryckt"])
            cells.append((None if hidden else int(row["antal"]), str(row["visas"]), hidden))
        out[key] = cells
    return out


def _compare(panel: Panel | None, base_q: str, quarter: str, full: Sequence[Sequence[Cell]],
             disclosure: Disclosure | None) -> list[Change]:
    """Each key figure of `quarter` against `base_q`, like for like, as published. `full`:
    per key figure the published cells of the two quarters (base, quarter). The counts over
    the partners that delivered both quarters are cells of their own (cell-key method: their
    key is that of their reports), hidden when small, when the whole is hidden, or when what
    they leave out is small."""
    n = len(KEY_FIGURES)

    def without(note: str) -> list[Change]:
        return [Change(base_q, None, "–", None, "–", None, None, (), note)] * n

    if panel is None or not panel.quarters or base_q < panel.quarters[0]:
        return without(f"inget att jämföra med: {base_q} är före de första uppgifterna")
    jb, j = panel.column(base_q), panel.column(quarter)
    if jb is None or j is None:
        return without(f"inget att jämföra med: {base_q} är före de första uppgifterna")
    parts, included = sg.comparable(panel.counts, panel.delivered, [jb, j])
    keys = panel.keys[:, included][:, :, [jb, j]].sum(axis=1)
    involved = np.asarray(panel.delivered[:, [jb, j]].any(axis=1)).tolist()
    left = tuple(p for p, a, i in zip(panel.partners, involved, included.tolist(), strict=True)
                 if a and not i)
    if not included.any():
        return without("ingen verksamhet har rapporterat båda kvartalen")
    whole = panel.totals[:, [jb, j]]
    rest = whole - parts
    if disclosure is not None and ((rest >= 1) & (rest < disclosure.threshold)).any():
        # Like for like would give the left-out partners' small counts away: show the
        # quarters' own counts, marked as not comparable, without a difference.
        return [Change(base_q, full[m][0][0], full[m][0][1], full[m][1][0], full[m][1][1],
                       None, None, left, comparable=False) for m in range(n)]
    out = []
    for m in range(n):
        pub: list[Cell] = []
        for k in range(2):
            if not left:  # the same reports as the published cell
                pub.append(full[m][k])
                continue
            value = publish_part(int(parts[m, k]), int(keys[m, k]), int(whole[m, k]),
                                 full[m][k][2], disclosure)
            pub.append((None, SECONDARY_MARK, True) if np.isnan(value)
                       else (int(value), fmt_int(int(value)), False))
        (base, base_display, _), (now, now_display, _) = pub
        if base is not None and now is not None:
            out.append(Change(base_q, base, base_display, now, now_display, now - base,
                              sg.Change(now, base, base_q).percent, left))
        else:
            out.append(Change(base_q, base, base_display, now, now_display, None, None, left))
    return out


def key_figures(store: Store, quarter: str, filters: Filters | None = None,
                disclosure: Disclosure | None = None) -> KeyFigures:
    """Total reports, concern reports, incidents and cases brought to the consultation forum
    for `quarter` (published cells), with changes (like for like) against the previous
    quarter and the same quarter last year, each figure's flags from the signal panels, and
    the partners missing for the quarter."""
    filters = filters or Filters()
    quarter = norm_quarter(quarter)
    keys = list(KEY_FIGURES)
    prev_q, year_q = shift_quarter(quarter, -1), shift_quarter(quarter, -4)
    panel = signal_panels(store, role_filters(filters, disclosure).with_period(None, quarter)) \
        .get("nyckeltal")
    first = min(window_start(panel, quarter), quarter) if panel is not None and \
        panel.quarters else quarter
    quarters = quarters_between(min(first, year_q), quarter)
    cells = _key_cells(store, quarters, filters, disclosure)
    flags = None
    if panel is not None and panel.quarters:
        shown = quarters_between(first, quarter)
        hidden = np.array([[cells[key][quarters.index(q)][2] for q in shown] for key in keys])
        flags = flag_table(panel, keys, shown, hidden, disclosure)

    def pair(base: str) -> list[list[Cell]]:
        return [[cells[key][quarters.index(base)], cells[key][-1]] for key in keys]

    previous = _compare(panel, prev_q, quarter, pair(prev_q), disclosure)
    last_year = _compare(panel, year_q, quarter, pair(year_q), disclosure)
    figures = []
    for m, key in enumerate(keys):
        value, display, hidden_now = cells[key][-1]
        figures.append(KeyFigure(
            key, KEY_FIGURES[key][0], quarter, value, display, hidden_now, previous[m],
            last_year[m], flags.at(m, flags.unusual.shape[1] - 1) if flags else NO_FLAG))
    missing = missing_partners(store, quarter, filters)
    return KeyFigures(quarter, tuple(figures), tuple(missing))


def verdict(fig: KeyFigure) -> str:
    """What the signal method says about a key figure, in words for a card or a table:
    its flags, 'ingen säkerställd förändring', or why there is no assessment."""
    flag = fig.flag
    found = [_flag_words(flag)] if flag.unusual else []
    if flag.sustained:
        sums = (f" ({fmt_int(round(flag.last4))} mot {fmt_int(round(flag.prev4))} de fyra "
                "kvartalen före)" if flag.last4 is not None and flag.prev4 is not None else "")
        found.append(f"{flag.sustained}{sums}")
    if found:
        return "; ".join(found)
    if fig.suppressed:
        return "visas inte (små tal)"
    if flag.withheld:
        return f"ingen bedömning ({flag.reason})"
    return "ingen säkerställd förändring"


# -- the summary ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sentence:
    """One sentence of the summary and the figures and flags behind it."""

    text: str
    kind: str  # 'niva' (levels and plain numbers), 'signal' (a flag), 'tackning' (coverage)
    figures: Mapping[str, object] = field(default_factory=dict)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _place(district: str) -> str:
    return "digitalt" if district == "Digitalt" else f"i {district}"


def _expected_words(flag: Flag, threshold: int) -> str:
    """'; väntat omkring 118 utifrån snittet av …', or with a small or hidden expectation
    only what it is based on."""
    if flag.expected is None:
        return f", jämfört med {flag.model}"
    if flag.expected < threshold:
        return f"; väntat färre än {threshold} utifrån {flag.model}"
    return f"; väntat omkring {fmt_int(round(flag.expected))} utifrån {flag.model}"


def _flag_words(flag: Flag) -> str:
    """'ovanligt högt jämfört med snittet av …' (the partners left out are named once, at
    the end of the summary)."""
    return f"{flag.unusual} jämfört med {flag.model}"


def _count_words(display: str, flag: Flag) -> str:
    """The flagged count: the published one, or the comparison's when partners are left
    out ('120 utan Polis')."""
    if not flag.left_out:
        return display
    if flag.compared is None:
        return f"{display}; {join_names(flag.left_out)} räknas inte med"
    return f"{fmt_int(round(flag.compared))} utan {join_names(flag.left_out)}"


def _shown_flags(views: Mapping[str, SeriesView | None]) \
        -> Iterator[tuple[str, str, Flag, str]]:
    """(panel, category, flag, displayed count) of every form and district in the last
    quarter of its view (the summary's quarter)."""
    for panel, view in views.items():
        if view is None or view.flags is None:
            continue
        q = len(view.window) - 1
        for r, category in enumerate(view.categories):
            if category is not None:
                yield (panel, category, view.flags.at(r, q),
                       view.protected.display[r * len(view.window) + q])


def _about(panel: str, category: str) -> str:
    """'om högerextremism', 'i Centrum', 'digitalt'."""
    return f"om {_lower_first(category)}" if panel == "former" else _place(category)


def _drivers(views: Mapping[str, SeriesView | None], flag: str) -> list[str]:
    """Forms and districts flagged `flag` themselves in the same quarter (as shown)."""
    return [_about(panel, category) for panel, category, shown, _ in _shown_flags(views)
            if category not in _NOT_DRIVERS and flag in (shown.unusual, shown.sustained)]


_ALSO = {sg.HIGH: "som också är ovanligt många", sg.LOW: "som också är ovanligt få",
         sg.UP: "som också ökar varaktigt", sg.DOWN: "som också minskar varaktigt"}


def _key_flag_sentences(figures: KeyFigures, views: Mapping[str, SeriesView | None],
                        threshold: int) -> list[Sentence]:
    """A sentence per key figure flagged unusual; one for the sustained changes (the key
    figures with the same flag together), drivers only for the total."""
    out = []
    for fig in figures.figures:
        flag = fig.flag
        if not flag.unusual:
            continue
        text = (f"{_SUBJECT[fig.key]} är {flag.unusual} "
                f"({_count_words(fig.display, flag)}{_expected_words(flag, threshold)})")
        facts: dict[str, object] = {"nyckel": fig.key, "flagga": flag.unusual,
                                    "antal": fig.value, "vantat": flag.expected,
                                    "p": flag.p_unusual}
        drivers = _drivers(views, flag.unusual) if fig.key == "totalt" else []
        if drivers:
            text += (f"; det gäller främst rapporterna {join_names(drivers)}, "
                     f"{_ALSO[flag.unusual]}")
            facts["drivare"] = drivers
        out.append(Sentence(text + ".", "signal", facts))
    for kind in (sg.UP, sg.DOWN):
        chosen = [f for f in figures.figures if f.flag.sustained == kind]
        if not chosen:
            continue
        parts = [_sustained_words(_OF[f.key], f.flag).removeprefix(
            f"De fyra senaste kvartalen: {kind} av ") for f in chosen]
        text = f"De fyra senaste kvartalen: {kind} av {join_names(parts)}"
        facts = {"nycklar": [f.key for f in chosen], "flagga": kind,
                 "senaste4": chosen[0].flag.last4, "foregaende4": chosen[0].flag.prev4,
                 "p": max(f.flag.p_sustained or 0.0 for f in chosen)}
        drivers = _drivers(views, kind) if chosen[0].key == "totalt" else []
        if drivers:
            text += f"; det gäller främst rapporterna {join_names(drivers)}, {_ALSO[kind]}"
            facts["drivare"] = drivers
        out.append(Sentence(text + ".", "signal", facts))
    return out


def _sustained_words(what: str, flag: Flag) -> str:
    """'De fyra senaste kvartalen: varaktig ökning av rapporterna (520 mot 430 de fyra
    kvartalen före)' (the sums only where they may be shown)."""
    tail = ""
    if flag.last4 is not None and flag.prev4 is not None:
        tail = (f" ({fmt_int(round(flag.last4))} mot {fmt_int(round(flag.prev4))} de fyra "
                "kvartalen före)")
    return f"De fyra senaste kvartalen: {flag.sustained} av {what}{tail}"


def _series_flag_sentences(views: Mapping[str, SeriesView | None],
                           named: Sequence[tuple[object, object]]) -> list[Sentence]:
    """One sentence per form or district flagged (as shown) and not `named` as a driver of
    the same flag already."""
    out = []
    for panel, category, flag, display in _shown_flags(views):
        where = _about(panel, category)
        facts = {"panel": panel, "serie": category, "antal": display}
        if flag.unusual and (where, flag.unusual) not in named:
            out.append(Sentence(f"Antalet rapporter {where} ({display}) är "
                                f"{_flag_words(flag)}.", "signal",
                                {**facts, "flagga": flag.unusual, "p": flag.p_unusual,
                                 "vantat": flag.expected}))
        if flag.sustained and (where, flag.sustained) not in named:
            out.append(Sentence(_sustained_words(f"rapporterna {where}", flag) + ".",
                                "signal", {**facts, "flagga": flag.sustained,
                                           "p": flag.p_sustained}))
    return out


def _no_flag_sentences(figures: KeyFigures, views: Mapping[str, SeriesView | None],
                       panels: Mapping[str, Panel]) -> list[Sentence]:
    """The total is not flagged: its changes as numbers, and whether anything is flagged."""
    total = figures["totalt"]
    prev, year = total.vs_previous, total.vs_last_year
    facts = {"jamforelse": prev.base_quarter, "bas": prev.base, "nu": prev.current,
             "fjol": year.base_quarter, "fjol_bas": year.base}
    if total.flag.withheld:
        return [Sentence(f"Om antalet rapporter är ovanligt bedöms inte ({total.flag.reason}). "
                         f"Mot föregående kvartal ({prev.base_quarter}): {prev.numbers()}; mot "
                         f"samma kvartal i fjol ({year.base_quarter}): {year.numbers()}.",
                         "niva", {**facts, "orsak": total.flag.reason})]

    def words(change: Change) -> str:
        return change.no_change() if change.available else change.note

    out = [Sentence(f"Mot föregående kvartal ({prev.base_quarter}): {words(prev)}; mot samma "
                    f"kvartal i fjol ({year.base_quarter}): {words(year)}.", "niva", facts)]
    shown_any = any(f.flag.flagged for f in figures.figures) or any(
        view is not None and view.flags is not None
        and ((view.flags.unusual[:, -1] != "") | (view.flags.sustained[:, -1] != "")).any()
        for view in views.values())
    if not shown_any:
        exact_any = False
        for panel in panels.values():
            j = panel.column(figures.quarter)
            if j is not None:
                res = panel.result
                exact_any |= bool(((res.unusual[:, j] != "") | (res.sustained[:, j] != ""))
                                  .any())
        out.append(Sentence(
            "Inget av de antal som visas är ovanligt högt eller lågt, och ingen varaktig "
            "förändring syns." if exact_any else
            "Inget nyckeltal, ingen form och inget område är ovanligt högt eller lågt, och "
            "ingen varaktig förändring syns.", "niva", {"flaggor": 0}))
    return out


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
        if total.flag.flagged:  # no reports can be unusually few (nil returns are zeros)
            sentences += _key_flag_sentences(figures, {}, threshold)
    else:
        sentences.append(Sentence(f"Under {quarter} kom {total.display} rapporter.", "niva",
                                  {"totalt": total.value, "visas": total.display}))
        sentences += _part_sentences(figures)
        views = {panel: series_view(store, filters.with_period(quarter, quarter), dim,
                                    disclosure)
                 for panel, dim in (("former", "form"), ("områden", "omrade"))}
        sentences += _key_flag_sentences(figures, views, threshold)
        if not total.flag.flagged:
            panels = signal_panels(store, filters.with_period(None, quarter))
            sentences += _no_flag_sentences(figures, views, panels)
        named = [(d, s.figures["flagga"]) for s in sentences
                 for d in s.figures.get("drivare", [])]  # type: ignore[attr-defined]
        sentences += _series_flag_sentences(views, named)
    sentences += _coverage_sentences(figures)
    return sentences


def _part_sentences(figures: KeyFigures) -> list[Sentence]:
    oro, incident, forum, total = (figures["oro"], figures["incident"],
                                   figures["konsultation"], figures["totalt"])
    share = ""
    if forum.value is not None and total.value:
        share = f" ({fmt_pct(forum.value / total.value * 100, 0)} av rapporterna)"
    return [Sentence(f"Av rapporterna var {oro.display} orosrapporter om enskilda personer och "
                     f"{incident.display} incidenter; {forum.display} ärenden togs upp i "
                     f"konsultationsforum{share}.", "niva",
                     {"oro": oro.value, "incident": incident.value,
                      "konsultation": forum.value})]


def _coverage_sentences(figures: KeyFigures) -> list[Sentence]:
    """Partners missing for the quarter, and the others the comparisons leave out."""
    names = list(figures.missing_partners)
    others = [p for p in figures.left_out if p not in names]
    facts = {"saknas": names, "utan": others}
    if names:
        them = "den" if len(names) == 1 else "dem"
        text = (f"{join_names(names)} har inte rapporterat för {figures.quarter}; siffrorna "
                f"för kvartalet är därför ofullständiga, och jämförelserna görs utan {them}")
        if others:
            text += (f" och utan {join_names(others)}, som inte har rapporterat alla jämförda "
                     "kvartal")
        return [Sentence(text + ".", "tackning", facts)]
    if others:
        return [Sentence(f"Jämförelserna räknar inte med {join_names(others)}, som inte har "
                         "rapporterat alla jämförda kvartal.", "tackning", facts)]
    return []


# -- the flags of a quarter as a table (lagesbild signals) --------------------------------------
SIGNAL_COLUMNS = ["panel", "serie", "kvartal", "antal", "flagga", "orsak", "bedomning",
                  "utan_verksamheter"]
WITHHELD_FLAG = "undanhållen"
_KINDS = (("ovanligt kvartal", "unusual", "reason", "left_out"),
          ("varaktig förändring", "sustained", "sustained_reason", "sustained_left_out"))


def signal_table(store: Store, quarter: str, filters: Filters | None = None,
                 disclosure: Disclosure | None = None) -> pd.DataFrame:
    """What the pages show about `quarter`'s flags, one row per panel, series and kind of
    flag (bedomning: 'ovanligt kvartal' or 'varaktig förändring'): the key figures as on the
    overview's cards, the forms and the area categories as on their trends (the same
    protection). flagga: 'ovanligt högt', 'ovanligt lågt', 'varaktig ökning', 'varaktig
    minskning', 'undanhållen' (orsak says why: the quarter is running, the series is too
    short, …) or ''. Columns: SIGNAL_COLUMNS, undertryckt, visas."""
    filters = filters or Filters()
    figures = key_figures(store, quarter, filters, disclosure)
    quarter = figures.quarter
    rows: list[dict[str, object]] = []

    def add(panel: str, name: str, value: int | None, display: str, hidden: bool,
            flag: Flag) -> None:
        for kind, flag_field, reason_field, left_field in _KINDS:
            reason = getattr(flag, reason_field)
            withheld = reason in sg.WITHHELD
            rows.append({
                "panel": panel, "serie": name, "kvartal": quarter, "antal": value,
                "flagga": getattr(flag, flag_field) or (WITHHELD_FLAG if withheld else ""),
                "orsak": reason if withheld else "", "bedomning": kind,
                "utan_verksamheter": ", ".join(getattr(flag, left_field)),
                "undertryckt": hidden, "visas": display})

    for fig in figures.figures:
        add("nyckeltal", fig.label, fig.value, fig.display, fig.suppressed, fig.flag)
    for panel, dim in (("former", "form"), ("områden", "omrade")):
        view = series_view(store, filters.with_period(quarter, quarter), dim, disclosure)
        if view is None or view.flags is None:
            continue
        q = len(view.window) - 1
        for r, category in enumerate(view.categories):
            k = r * len(view.window) + q
            add(panel, str(category), view.protected.shown[k], view.protected.display[k],
                bool(view.protected.hidden[k]), view.flags.at(r, q))
    out = pd.DataFrame(rows, columns=[*SIGNAL_COLUMNS, "undertryckt", "visas"])
    out["antal"] = pd.array(out["antal"].tolist(), dtype="Int64")
    out["undertryckt"] = out["undertryckt"].astype(bool)
    return out
