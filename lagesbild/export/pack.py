"""The meeting pack: what goes into the PowerPoint, the PDF report, the workbook and the images.

`build_pack(store, PackRequest(filters, charts, public))` computes everything once, with the
dashboard's own indicator functions, chart builders and disclosure rule (the same Filters give
the same numbers as on screen): the quarter's key figures and plain-Swedish summary, one
`ChartItem` per chosen chart (slide-style figure, the data behind it, key figures for the
speaker notes), the tables for the workbook, and the method text. The writers in slides.py,
report.py and workbook.py only lay it out; `lagesbild.export.files.write_pack` writes a format
to a path.

The pack is about one quarter, the last of the period (`Filters.to_quarter`); trends show the
whole period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.charts import ChartContext, describe_filters, period_label
from lagesbild.charts.events import event_legend
from lagesbild.domain import config
from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_pct
from lagesbild.domain.periods import latest_complete_quarter, parse_quarter, shift_quarter
from lagesbild.export import images
from lagesbild.export import public as public_module
from lagesbild.export.common import ExportError
from lagesbild.export.naming import export_name
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import signals, summary
from lagesbild.numbers.disclosure import EXACT_NOTE, NOTE, TOTAL, table_of
from lagesbild.numbers.events import events_for_period
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

TITLE = "Lägesbild – våldsbejakande extremism"
PUBLIC_TITLE = "Våldsbejakande extremism i Umeå – lägesbild"
ORGANISATION = "UmeBrå – Umeå kommuns brottsförebyggande råd"
SOURCE = "Källa: UmeBrå, partnernas rapporter."
DEFAULT_QUARTERS = 8
NO_PLACE = ("Digitalt", "Okänt")
FORMATS = ("pptx", "pdf", "xlsx", "png")
MIMES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "application/zip",  # one PNG per chart, zipped
}


# -- what a chart builder gets and gives ----------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """Everything a chart builder needs: the selection, the quarter, the disclosure rule."""

    store: Store
    filters: Filters  # period first..last and the dimension filters
    quarter: str  # the last quarter of the period: what the meeting is about
    disclosure: Disclosure | None  # None: exact counts (an analyst's internal export)
    ctx: ChartContext  # for charts over the period
    quarter_ctx: ChartContext  # for charts of the quarter
    public: bool = False
    events: tuple = ()  # context events of the period [(date, kategori, titel)]; none public

    @property
    def quarter_filters(self) -> Filters:
        return self.filters.with_period(self.quarter, self.quarter)

    @property
    def threshold(self) -> int:
        return self.disclosure.threshold if self.disclosure is not None else 0


@dataclass
class ChartItem:
    key: str
    title: str  # as in the chart: "Rapporter per stadsdel, 2025K4–2026K3"
    figure: go.Figure  # slide style
    data: pd.DataFrame  # disclosure-controlled, exactly what the chart shows
    notes: list[str]  # key figures in words (speaker notes, report text)
    sheet: str  # its sheet in the workbook
    file_stem: str  # e.g. "trender_per_form"


@dataclass(frozen=True)
class ChartDef:
    key: str
    label: str  # shown when choosing charts
    build: Callable[[Scope], ChartItem]
    public: bool = False  # coarse enough for the public variant


def _published_total(scope: Scope, filters: Filters) -> int | None:
    table = ind.counts(scope.store, (), filters, scope.disclosure)
    if table.empty or bool(table["undertryckt"].iloc[0]) or pd.isna(table["antal"].iloc[0]):
        return None
    return int(table["antal"].iloc[0])


def _list(frame: pd.DataFrame, label: str, value: str = "visas") -> str:
    return ", ".join(f"{getattr(r, label)} {getattr(r, value)}"
                     for r in frame.itertuples(index=False))


def _breaks(table: pd.DataFrame) -> list[str]:
    if "serieavbrott" not in table:
        return []
    return sorted({q for q, note in zip(table["kvartal"], table["serieavbrott"], strict=True)
                   if note})


def _signal_notes(table: pd.DataFrame, by: str | None, quarters: Sequence[str]) -> list[str]:
    inside = table[table["kvartal"].isin(quarters)]
    flagged = inside[inside["signal"].astype(bool)]
    notes = [f"{r.kvartal}{' – ' + str(getattr(r, by)) if by else ''}: {r.visas}, "
             f"{r.signal_text}." for r in flagged.itertuples(index=False)]
    lasting = inside[inside["varaktig"].astype(str) != ""] if "varaktig" in inside else inside[:0]
    return notes + [f"{r.kvartal}{' – ' + str(getattr(r, by)) if by else ''}: {r.varaktig}."
                    for r in lasting.itertuples(index=False)]


# -- the charts ---------------------------------------------------------------------------------
def _event_notes(scope: Scope) -> list[str]:
    """The context events marked on a trend chart, numbered as in the chart."""
    if not scope.events:
        return []
    return ["Omvärldshändelser (numren i diagrammet): " + "; ".join(
        event_legend(scope.events)) + "."]


def _trend_per_form(scope: Scope) -> ChartItem:
    table = ind.trend(scope.store, scope.filters, "form", "antal", scope.disclosure)
    what = "Rapporter per form av extremism"
    fig = charts.small_multiples(
        table, scope.ctx, what=what, facet="form", value="varde", lower="nedre_grans",
        upper="ovre_grans", baseline="baslinje", signal="signal", breaks=_breaks(table),
        y_title="Antal", events=scope.events, style="slide")
    now = table[table["kvartal"] == scope.quarter]
    notes = [f"{scope.quarter} per form: {_list(now, 'form')}."]
    notes += _signal_notes(table, "form", [scope.quarter])
    notes.append("Grått band: det normala intervallet utifrån tidigare kvartal; ring: "
                 "ovanligt kvartal; avbrott i linjen: värdet visas inte.")
    notes += _event_notes(scope)
    return ChartItem("trender_per_form", fig.layout.title.text, fig, table, notes,
                     "Per form och kvartal", "trender_per_form")


def _trend_total(scope: Scope) -> ChartItem:
    table = ind.trend(scope.store, scope.filters, None, "antal", scope.disclosure)
    what = "Rapporter per kvartal"
    if scope.public:  # plain bars for the web page: no control limits
        fig = charts.trend_chart(table, scope.ctx, what=what, value="varde", kind="bar",
                                 breaks=_breaks(table), style="slide")
    else:
        fig = charts.trend_chart(
            table, scope.ctx, what=what, value="varde", lower="nedre_grans",
            upper="ovre_grans", baseline="baslinje", signal="signal", breaks=_breaks(table),
            events=scope.events, style="slide")
    now = table[table["kvartal"] == scope.quarter]
    notes = [f"{scope.quarter}: {now['visas'].iloc[0] if len(now) else '–'} rapporter."]
    notes += [] if scope.public else _signal_notes(table, None, list(table["kvartal"]))
    notes += _event_notes(scope)
    return ChartItem("trend_totalt", fig.layout.title.text, fig, table, notes,
                     "Per kvartal", "rapporter_per_kvartal")


def _per_district_table(scope: Scope) -> pd.DataFrame:
    table = ind.crosstab(scope.store, "omrade", "kvartal", scope.filters, scope.disclosure)
    totals = table[(table["kvartal"] == TOTAL) & (table["omrade"] != TOTAL)]
    return totals.drop(columns="kvartal").reset_index(drop=True)


def _ranked_notes(frame: pd.DataFrame, label: str, threshold: int, top: int = 5) -> list[str]:
    shown = frame[~frame["undertryckt"].astype(bool)].copy()
    shown["_v"] = shown["antal"].astype("Float64")
    shown = shown.sort_values("_v", ascending=False)
    notes = [f"Flest rapporter: {_list(shown.head(top), label)}."]
    hidden = frame[frame["undertryckt"].astype(bool)]
    if len(hidden):
        notes.append(f"Visas inte (under {threshold} eller dolt för att skydda ett litet tal): "
                     + ", ".join(map(str, hidden[label])) + ".")
    return notes


def _per_district(scope: Scope) -> ChartItem:
    data = _per_district_table(scope)
    what = "Rapporter per stadsdel"
    fig = charts.ranked_bar(data, scope.ctx, what=what, category="omrade", style="slide")
    return ChartItem("per_omrade", fig.layout.title.text, fig, data,
                     _ranked_notes(data, "omrade", scope.threshold),
                     "Per stadsdel", "rapporter_per_stadsdel")


def _district_map(scope: Scope) -> ChartItem:
    data = _per_district_table(scope)
    on_map = data[~data["omrade"].isin(NO_PLACE)].reset_index(drop=True)
    elsewhere = data[data["omrade"].isin(NO_PLACE)]
    ctx = scope.ctx
    if len(elsewhere):
        ctx = ctx.with_extra("Ej på kartan: " + _list(elsewhere, "omrade"))
    what = "Karta: rapporter per stadsdel"
    fig = charts.district_map(on_map, ctx, what=what, style="slide")
    return ChartItem("karta_omraden", fig.layout.title.text, fig, data,
                     _ranked_notes(data, "omrade", scope.threshold),
                     "Karta per stadsdel", "karta_stadsdelar")


def _district_quarter(scope: Scope) -> ChartItem:
    table = ind.crosstab(scope.store, "omrade", "kvartal", scope.filters, scope.disclosure)
    grid = table[(table["omrade"] != TOTAL) & (table["kvartal"] != TOTAL)]
    what = "Rapporter per stadsdel och kvartal"
    fig = charts.heatmap(grid, scope.ctx, what=what, x="kvartal", y="omrade",
                         y_order=ind.category_order("omrade", list(grid["omrade"])),
                         style="slide")
    now = grid[grid["kvartal"] == scope.quarter]
    notes = [f"{scope.quarter} per stadsdel: {_list(now, 'omrade')}."]
    return ChartItem("omrade_kvartal", fig.layout.title.text, fig, table, notes,
                     "Stadsdel och kvartal", "stadsdel_och_kvartal")


def _per_form(scope: Scope) -> ChartItem:
    data = ind.counts(scope.store, ["form"], scope.filters, scope.disclosure)
    what = "Rapporter per form av extremism"
    fig = charts.ranked_bar(data, scope.ctx, what=what, category="form", style="slide")
    return ChartItem("per_form", fig.layout.title.text, fig, data,
                     _ranked_notes(data, "form", scope.threshold, top=9),
                     "Per form", "rapporter_per_form")


def _per_sector(scope: Scope) -> ChartItem:
    data = ind.counts(scope.store, ["verksamhet"], scope.filters, scope.disclosure)
    what = "Rapporter per rapporterande verksamhet"
    fig = charts.ranked_bar(data, scope.ctx, what=what, category="verksamhet", style="slide")
    return ChartItem("per_verksamhet", fig.layout.title.text, fig, data,
                     _ranked_notes(data, "verksamhet", scope.threshold, top=12),
                     "Per verksamhet", "rapporter_per_verksamhet")


def _gender_age(scope: Scope) -> ChartItem:
    table = ind.crosstab(scope.store, "aldersgrupp", "kon", scope.filters, scope.disclosure)
    grid = table[(table["aldersgrupp"] != TOTAL) & (table["kon"] != TOTAL)]
    what = "Rapporter efter ålder och kön"
    fig = charts.heatmap(grid, scope.ctx, what=what, x="kon", y="aldersgrupp",
                         y_order=ind.category_order("aldersgrupp", list(grid["aldersgrupp"])),
                         style="slide")
    by_gender = table[(table["aldersgrupp"] == TOTAL) & (table["kon"] != TOTAL)]
    by_age = table[(table["kon"] == TOTAL) & (table["aldersgrupp"] != TOTAL)]
    notes = [f"Per kön: {_list(by_gender, 'kon')}.",
             f"Per åldersgrupp: {_list(by_age, 'aldersgrupp')}.",
             "Grå rutor: under tröskeln (<) eller dolda för att skydda ett litet tal (..)."]
    return ChartItem("kon_alder", fig.layout.title.text, fig, table, notes,
                     "Ålder och kön", "alder_och_kon")


def _funnel(scope: Scope) -> ChartItem:
    table = ind.funnel(scope.store, scope.quarter_filters, scope.disclosure)
    table = table[table["kvartal"] == scope.quarter].reset_index(drop=True)
    parts = table[table["verksamhet"] != TOTAL]  # the total is in the notes, not a bar
    long = pd.concat([
        pd.DataFrame({"verksamhet": parts["verksamhet"], "steg": "Rapporter",
                      "antal": parts["antal"], "undertryckt": parts["undertryckt"],
                      "visas": parts["visas"]}),
        pd.DataFrame({"verksamhet": parts["verksamhet"], "steg": "Till konsultationsforum",
                      "antal": parts["konsultation"],
                      "undertryckt": parts["konsultation_undertryckt"],
                      "visas": parts["konsultation_visas"]}),
    ], ignore_index=True)
    what = "Rapporter och ärenden i konsultationsforum per verksamhet"
    fig = charts.funnel_chart(long, scope.quarter_ctx, what=what, stage="steg",
                              group="verksamhet",
                              stage_order=["Rapporter", "Till konsultationsforum"],
                              group_order=list(parts["verksamhet"]), style="slide")
    total = table[table["verksamhet"] == TOTAL]
    notes = []
    if len(total):
        row = total.iloc[0]
        share = "" if pd.isna(row["andel"]) else f" ({fmt_pct(float(row['andel']), 0)})"
        notes.append(f"{scope.quarter}: {row['konsultation_visas']} av {row['visas']} "
                     f"rapporter togs upp i konsultationsforum{share}.")
    notes.append("Till konsultationsforum per verksamhet: "
                 + _list(parts, "verksamhet", "konsultation_visas") + ".")
    return ChartItem("konsultation", fig.layout.title.text, fig, table, notes,
                     "Konsultationsforum", "konsultationsforum")


CHARTS: dict[str, ChartDef] = {d.key: d for d in (
    ChartDef("trender_per_form", "Utvecklingen per form av extremism", _trend_per_form),
    ChartDef("trend_totalt", "Rapporter per kvartal (totalt)", _trend_total, public=True),
    ChartDef("per_omrade", "Rapporter per stadsdel", _per_district, public=True),
    ChartDef("per_form", "Rapporter per form av extremism (perioden)", _per_form,
             public=True),
    ChartDef("per_verksamhet", "Rapporter per verksamhet", _per_sector),
    ChartDef("kon_alder", "Ålder och kön", _gender_age),
    ChartDef("konsultation", "Konsultationsforum per verksamhet (kvartalet)", _funnel),
    ChartDef("omrade_kvartal", "Stadsdelar kvartal för kvartal", _district_quarter),
    ChartDef("karta_omraden", "Karta per stadsdel", _district_map, public=True),
)}
DEFAULT_CHARTS = ("trender_per_form", "per_omrade", "per_verksamhet", "kon_alder",
                  "konsultation")
PUBLIC_CHARTS = ("trend_totalt", "per_form", "per_omrade")


def check_charts(keys: Sequence[str], public: bool = False) -> tuple[str, ...]:
    """Validated chart keys (ValueError with a Swedish message for unknown or non-public)."""
    unknown = [k for k in keys if k not in CHARTS]
    if unknown:
        raise ValueError(f"Okänt diagram: {', '.join(unknown)}. Välj bland: "
                         f"{', '.join(CHARTS)}.")
    if public:
        fine = [k for k in keys if not CHARTS[k].public]
        if fine:
            raise ValueError(f"Finns inte i den publika varianten: {', '.join(fine)}. Välj "
                             f"bland: {', '.join(k for k, d in CHARTS.items() if d.public)}.")
    return tuple(dict.fromkeys(keys))


# -- the pack -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackRequest:
    """What the user chose: period and filters (as on the dashboard), charts, variant."""

    filters: Filters
    charts: tuple[str, ...] | None = None  # None: the default set of the variant
    public: bool = False
    exact: bool = False  # exact counts: an analyst's internal export (checked and logged
    #                      by access.policy.exporting(exact=True))


@dataclass
class Pack:
    title: str
    quarter: str
    period: str  # "2025K4–2026K3"
    filters: Filters
    filters_text: str  # "" when no dimension filter
    disclosure: Disclosure | None  # None: exact counts (internal export)
    public: bool
    data_as_of: dt.datetime | None
    created: dt.date
    demo: bool
    key_figures: summary.KeyFigures
    key_table: pd.DataFrame  # display strings, Swedish headers
    summary: list[str]
    charts: list[ChartItem]
    tables: dict[str, pd.DataFrame]  # sheet -> disclosure-controlled frame
    method: list[str]  # paragraphs
    support: list[public_module.SupportLine] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # context events on the trend charts
    _images: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)

    @property
    def subtitle(self) -> str:
        return f"Kvartal {self.quarter} · period {self.period}"

    @property
    def selection(self) -> str:
        return self.filters_text or "Alla rapporter"

    @property
    def data_date(self) -> str:
        return self.data_as_of.date().isoformat() if self.data_as_of else "–"

    @property
    def disclosure_note(self) -> str:
        if self.disclosure is None:
            return EXACT_NOTE
        t = self.disclosure.threshold
        text = f"Antal under {t} visas som <{t}; .. = dolt för att skydda ett litet tal."
        if self.disclosure.rounding > 1:
            text += f" Antal är slumpvis avrundade till {self.disclosure.rounding}-tal."
        return f"{text} {NOTE}"

    @property
    def missing_note(self) -> str:
        """Partners that have not delivered for the quarter (not named in the public variant)."""
        missing = self.key_figures.missing_partners
        if not missing:
            return ""
        if self.public:
            return "Alla verksamheter har ännu inte rapporterat för kvartalet."
        return f"Rapporter saknas för kvartalet från: {', '.join(missing)}."

    @property
    def footer(self) -> str:
        return f"{SOURCE} Data per {self.data_date}. {self.disclosure_note}"

    def file_name(self, ext: str, what: str | None = None) -> str:
        return pack_name(self.quarter, self.filters, self.public, ext, what)

    def chart_file_name(self, item: ChartItem, ext: str) -> str:
        return export_name(self.quarter, item.file_stem, ext, filters=self.filters,
                           public=self.public)

    def about(self) -> list[tuple[str, object]]:
        """Key–value lines describing the pack (first sheet of the workbook)."""
        lines: list[tuple[str, object]] = [
            ("Titel", self.title), ("Kvartal", self.quarter), ("Period", self.period),
            ("Urval", self.selection), ("Data per", self.data_date),
            ("Skapad", self.created.isoformat()), ("Röjandekontroll", self.disclosure_note),
            ("Källa", SOURCE.removeprefix("Källa: ")),
        ]
        if self.demo:
            lines.append(("Obs!", DEMO_NOTE))
        if self.public:
            lines.append(("Variant", "Publik: bara övergripande indikatorer."))
        return lines

    def image(self, item: ChartItem, fmt: str = "png") -> bytes:
        key = (item.key, fmt)
        if key not in self._images:
            self._images[key] = images.render(item.figure, fmt)
        return self._images[key]

    def render_images(self, fmt: str = "png") -> dict[str, bytes]:
        """Every chart as an image, with one warm browser for the batch."""
        todo = [item for item in self.charts if (item.key, fmt) not in self._images]
        if todo:
            with images.warm():
                drawn = images.render_many([item.figure for item in todo], fmt)
            self._images.update({(item.key, fmt): data
                                 for item, data in zip(todo, drawn, strict=True)})
        return {item.key: self._images[(item.key, fmt)] for item in self.charts}


def pack_name(quarter: str, filters: Filters, public: bool, ext: str,
              what: str | None = None) -> str:
    """The pack's file name: '2026K3_lagesbild.pptx', '2026K3_lagesbild_publik.pdf', …"""
    name = what or ("lagesbild_publik" if public else "lagesbild")
    return export_name(quarter, name, "zip" if ext == "png" else ext, filters=filters)


DEMO_NOTE = ("Demodata – syntetiska uppgifter, inte verkliga rapporter. Ta bort med "
             "`lagesbild demo --remove` innan lägesbilden används på riktigt.")


def default_period(store: Store, today: dt.date | None = None) -> tuple[str, str]:
    """The dashboard's default: the last eight complete quarters with data."""
    first, last = ind.data_span(store)
    if not first or not last:
        raise ExportError("Det finns inga rapporter att exportera.")
    complete = latest_complete_quarter(today)
    end = last if parse_quarter(last) <= parse_quarter(complete) else complete
    if parse_quarter(end) < parse_quarter(first):
        end = last
    start = shift_quarter(end, -(DEFAULT_QUARTERS - 1))
    return (start if parse_quarter(start) >= parse_quarter(first) else first), end


def _key_table(figures: summary.KeyFigures, keys: Sequence[str] | None) -> pd.DataFrame:
    rows = []
    first = figures.figures[0]
    prev_q, year_q = first.vs_previous.base_quarter, first.vs_last_year.base_quarter
    for fig in figures.figures:
        if keys is not None and fig.key not in keys:
            continue
        rows.append({
            "Nyckeltal": fig.label,
            figures.quarter: fig.display,
            f"Mot {prev_q}": fig.vs_previous.numbers(),
            f"Mot {year_q}": fig.vs_last_year.numbers(),
            "Bedömning": summary.verdict(fig),
        })
    return pd.DataFrame(rows, dtype=object)


def method_paragraphs(disclosure: Disclosure | None, public: bool) -> list[str]:
    parts = [
        "Underlag: avidentifierade rapporter från UmeBrå:s samverkanspartner (skola, "
        "socialtjänst, polis, säkerhetsavdelningen, regionen m.fl.). En rapport räknas en gång "
        "även om den har rättats i en senare fil. Rapporterna innehåller inga personuppgifter.",
        signals.METHOD_SUMMARY,
    ]
    if disclosure is None:
        parts.append(f"Exakta antal: underlaget är en intern export utan röjandekontroll och "
                     f"får inte spridas utanför analytikergruppen. {EXACT_NOTE}")
        return parts
    t = disclosure.threshold
    if disclosure.rounding > 1:
        change = (f"antalen är slumpvis avrundade till jämna {disclosure.rounding}-tal, "
                  "ibland uppåt och ibland nedåt")
    else:
        change = (f"varje antal kan vara upp till {table_of(disclosure).max_deviation} högre "
                  "eller lägre än det verkliga")
    parts.append(
        f"Röjandekontroll: {NOTE} För att ingen enskild ska kunna pekas ut får varje uppgift "
        f"ett litet, fast tillägg: {change}. Samma uppgift visar alltid samma siffra, var den "
        f"än står, så en dold uppgift kan inte räknas fram genom att jämföra tabeller eller "
        f"perioder. Antal under {t} visas som <{t} och aldrig som siffra; två punkter (..) "
        f"betyder att uppgiften ingår i en grupp med färre än {t} rapporter. Summor, andelar "
        "och förändringar räknas från de visade siffrorna och visas inte när de bygger på ett "
        "dolt antal; en summa kan därför skilja sig något från summan av delarna.")
    if public:
        parts.append("Den här publika versionen innehåller bara övergripande indikatorer "
                     "(antal per kvartal och år, per form av extremism och per stadsdel) och "
                     "har en strängare röjandekontroll än den interna lägesbilden.")
    return parts


def resolve(store: Store, request: PackRequest, *, today: dt.date | None = None) -> PackRequest:
    """The request with its period filled in (the default period for open ends) and its
    charts chosen; ValueError (Swedish) for a period that ends before it starts or a chart the
    variant does not have."""
    if request.exact and request.public:
        raise ValueError("Den publika varianten har alltid skyddade siffror: välj --public "
                         "eller --exact, inte båda.")
    filters = request.filters
    if not filters.from_quarter or not filters.to_quarter:
        first, last = default_period(store, today)
        filters = filters.with_period(filters.from_quarter or first, filters.to_quarter or last)
    assert filters.from_quarter and filters.to_quarter
    first, last = shift_quarter(filters.from_quarter, 0), shift_quarter(filters.to_quarter, 0)
    if parse_quarter(first) > parse_quarter(last):
        raise ValueError(f"Perioden börjar ({first}) efter att den slutar ({last}).")
    keys = check_charts(request.charts if request.charts is not None else
                        (PUBLIC_CHARTS if request.public else DEFAULT_CHARTS), request.public)
    return replace(request, filters=filters.with_period(first, last), charts=keys)


def build_pack(store: Store, request: PackRequest, *, today: dt.date | None = None) -> Pack:
    """Compute the whole pack (no images yet: they are rendered when a format needs them)."""
    request = resolve(store, request, today=today)
    filters = request.filters
    first, last = filters.from_quarter, filters.to_quarter
    assert first and last and request.charts is not None
    settings = config.settings()
    disclosure = (None if request.exact else settings.public_disclosure if request.public
                  else settings.disclosure)
    threshold = disclosure.threshold if disclosure is not None else 0
    rounding = disclosure.rounding if disclosure is not None else 0
    keys = request.charts
    data_as_of = store.data_as_of()
    filters_text = describe_filters(filters)
    base_ctx = ChartContext(period=period_label(first, last), filters=filters_text,
                            data_as_of=data_as_of, threshold=threshold,
                            extra=((f"Antal avrundade till {rounding}-tal",)
                                   if rounding > 1 else ()))
    # Context events are the analysts' notes: on internal trend charts, not in the public one.
    events = () if request.public else tuple(events_for_period(store, first, last))
    scope = Scope(store, filters, last, disclosure, base_ctx, base_ctx, request.public,
                  events)
    scope = replace(scope, ctx=base_ctx.with_n(_published_total(scope, filters)),
                    quarter_ctx=ChartContext(
                        period=last, filters=filters_text, data_as_of=data_as_of,
                        threshold=threshold, extra=base_ctx.extra,
                        n=_published_total(scope, scope.quarter_filters)))
    figures = summary.key_figures(store, last, filters, disclosure)
    if request.public:
        sentences = public_module.summary_sentences(figures)
        key_table = _key_table(figures, ["totalt"])
    else:
        sentences = [s.text for s in summary.summarize(store, last, filters, disclosure)]
        key_table = _key_table(figures, None)
    items = [CHARTS[k].build(scope) for k in keys]
    if request.public:
        assert disclosure is not None
        tables = public_module.public_tables(store, filters, disclosure)
    else:
        tables = {"Nyckeltal": key_table}
        tables.update({item.sheet: item.data for item in items})
    return Pack(
        title=PUBLIC_TITLE if request.public else TITLE, quarter=last,
        period=period_label(first, last), filters=filters, filters_text=filters_text,
        disclosure=disclosure, public=request.public, data_as_of=data_as_of,
        created=today or dt.date.today(), demo=store.has_demo_data(), key_figures=figures,
        key_table=key_table, summary=sentences, charts=items, tables=tables,
        method=method_paragraphs(disclosure, request.public),
        support=public_module.support_lines() if request.public else [],
        events=list(events),
    )
