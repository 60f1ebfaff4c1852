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

The key figures themselves (their counts and changes) are computed in
lagesbild.numbers.keyfigures; this module words them, and lists a quarter's flags as a table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_int, fmt_pct
from lagesbild.numbers import signals as sg

# The key figures the summary speaks of (lagesbild.numbers.keyfigures); callers find them here.
from lagesbild.numbers.keyfigures import CHANGES_NOTE as CHANGES_NOTE
from lagesbild.numbers.keyfigures import MEASURES as MEASURES
from lagesbild.numbers.keyfigures import Change as Change
from lagesbild.numbers.keyfigures import KeyFigure as KeyFigure
from lagesbild.numbers.keyfigures import KeyFigures as KeyFigures
from lagesbild.numbers.keyfigures import key_figures as key_figures
from lagesbild.numbers.panels import (
    Flag,
    Panel,
    join_names,
    signal_panels,
)
from lagesbild.numbers.query import Filters
from lagesbild.numbers.trend import SeriesView, series_view
from lagesbild.store import Store

# Names of parts of a form/district that are not worth naming as a driver.
_NOT_DRIVERS = {"Ej bedömd", "Annan", "Okänt", "Ej angivet"}
# What each key figure is called in a sentence: as subject, and after "av".
_SUBJECT = {"totalt": "Antalet rapporter", "oro": "Antalet orosrapporter",
            "incident": "Antalet incidenter",
            "konsultation": "Antalet ärenden i konsultationsforum"}
_OF = {"totalt": "rapporterna", "oro": "orosrapporterna", "incident": "incidenterna",
       "konsultation": "ärendena i konsultationsforum"}


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
