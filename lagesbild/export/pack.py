"""The meeting pack: what goes into the PowerPoint, the PDF report, the workbook and the images.

`build_pack(store, PackRequest(filters, charts, public))` computes everything once, from the
dashboard's own chart catalogue (`lagesbild.views`: the same entries, the same published
tables, so the same Filters give the same numbers as on screen): the quarter's key figures
(in the words of Översikt, `views.keyfigures`) and plain-Swedish summary, one `ChartItem` per
chosen chart (the entry's published table, the slide-style figure drawn from it, its notes,
and the entry and context that draw it again from the table alone), the tables for the
workbook (in the public variant one published table per view: the quarters, years and total
as one table, the same tables as its charts), and the method text. The writers in slides.py,
report.py and workbook.py only lay it out; `lagesbild.export.files.write_pack` writes a format
to a path.

The pack is about one quarter, the last of the period (`Filters.to_quarter`); trends show the
whole period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from lagesbild import views
from lagesbild.charts import ChartContext, describe_filters, period_label
from lagesbild.domain import config, periods
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import parse_quarter, shift_quarter
from lagesbild.export import images
from lagesbild.export import public as public_module
from lagesbild.export.common import ExportError
from lagesbild.export.naming import export_name
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import signals, summary
from lagesbild.numbers.disclosure import EXACT_NOTE, NOTE, table_of
from lagesbild.numbers.events import events_for_period
from lagesbild.numbers.query import Filters
from lagesbild.store import Store
from lagesbild.views import keyfigures

TITLE = "Lägesbild – våldsbejakande extremism"
PUBLIC_TITLE = "Våldsbejakande extremism i Umeå – lägesbild"
ORGANISATION = "UmeBrå – Umeå kommuns brottsförebyggande råd"
SOURCE = "Källa: UmeBrå, partnernas rapporter."
FORMATS = ("pptx", "pdf", "xlsx", "png")
MIMES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "application/zip",  # one PNG per chart, zipped
}


# -- the charts: entries of the catalogue ------------------------------------------------------
@dataclass
class ChartItem:
    key: str
    title: str  # as in the chart: "Rapporter per stadsdel, 2025K4–2026K3"
    figure: go.Figure  # slide style
    data: pd.DataFrame  # the published table the figure is drawn from
    notes: list[str]  # key figures in words (speaker notes, report text)
    sheet: str  # its sheet in the workbook
    file_stem: str  # e.g. "trender_per_form"
    entry: views.Entry | None = None  # the catalogue entry: entry.figure(data, context)
    context: views.Context | None = None  # redraws the figure from `data` alone
    alt_text: str = ""  # the image's text alternative


@dataclass(frozen=True)
class ChartDef:
    """A chart the pack offers: its catalogue entry, and where it goes in the files."""

    key: str
    label: str  # shown when choosing charts
    entry: views.Entry
    sheet: str  # its sheet in the workbook
    file_stem: str
    public: bool = False  # coarse enough for the public variant
    public_entry: views.Entry | None = None  # drawn instead in the public variant
    quarter: bool = False  # about the pack's quarter, not the whole period

    def entry_for(self, public: bool) -> views.Entry:
        return (self.public_entry or self.entry) if public else self.entry


CHARTS: dict[str, ChartDef] = {d.key: d for d in (
    ChartDef("trender_per_form", "Utvecklingen per form av extremism",
             views.Trend(by="form", multiples=True), "Per form och kvartal",
             "trender_per_form"),
    ChartDef("trend_totalt", "Rapporter per kvartal (totalt)", views.Trend(by=None),
             "Per kvartal", "rapporter_per_kvartal", public=True,
             public_entry=views.QuartersAndYears()),
    ChartDef("per_omrade", "Rapporter per stadsdel", views.DistrictRanking(), "Per stadsdel",
             "rapporter_per_stadsdel", public=True),
    ChartDef("per_form", "Rapporter per form av extremism (perioden)",
             views.Ranking("form"), "Per form", "rapporter_per_form", public=True),
    ChartDef("per_verksamhet", "Rapporter per verksamhet", views.Ranking("verksamhet"),
             "Per verksamhet", "rapporter_per_verksamhet"),
    ChartDef("kon_alder", "Ålder och kön", views.AgeGender(), "Ålder och kön",
             "alder_och_kon"),
    ChartDef("konsultation", "Konsultationsforum per verksamhet (kvartalet)", views.Funnel(),
             "Konsultationsforum", "konsultationsforum", quarter=True),
    ChartDef("omrade_kvartal", "Stadsdelar kvartal för kvartal", views.DistrictQuarters(),
             "Stadsdel och kvartal", "stadsdel_och_kvartal"),
    ChartDef("karta_omraden", "Karta per stadsdel", views.DistrictMap(), "Karta per stadsdel",
             "karta_stadsdelar", public=True),
)}
DEFAULT_CHARTS = ("trender_per_form", "per_omrade", "per_verksamhet", "kon_alder",
                  "konsultation")
PUBLIC_CHARTS = ("trend_totalt", "per_form", "per_omrade")
# The public variant's workbook: one published table per view, the same its charts show.
PUBLIC_QUARTERS = views.QuartersAndYears()
PUBLIC_SHEETS = {"Per form": views.Ranking("form"), "Per stadsdel": views.DistrictRanking()}


class _Tables:
    """The pack's published tables: each indicator call made once, whichever entries share
    it (a district ranking and a map have the same counts)."""

    def __init__(self, store: Store, protection: views.Protection) -> None:
        self.store, self.protection = store, protection
        self._raw: dict[str, pd.DataFrame] = {}

    def __call__(self, entry: views.Entry, filters: Filters) -> pd.DataFrame:
        call = entry.source(filters, self.protection)
        key = call.key()
        if key not in self._raw:
            self._raw[key] = call(self.store)
        return entry.shape(self._raw[key])


def _published_total(store: Store, filters: Filters,
                     disclosure: Disclosure | None) -> int | None:
    table = ind.counts(store, (), filters, disclosure)
    if table.empty or bool(table["undertryckt"].iloc[0]) or pd.isna(table["antal"].iloc[0]):
        return None
    return int(table["antal"].iloc[0])


def _item(definition: ChartDef, public: bool, tables: _Tables, filters: Filters,
          context: views.Context) -> ChartItem:
    entry = definition.entry_for(public)
    if not entry.uses_events:
        context = replace(context, events=())
    table = tables(entry, filters)
    figure = entry.figure(table, context)
    return ChartItem(definition.key, figure.layout.title.text, figure, table,
                     entry.notes(table, context), definition.sheet, definition.file_stem,
                     entry, context, entry.alt_text(table, context, figure))


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
    # An approved edition's stamp ("Fastställd lägesbild 2026K3, version 2, fastställd
    # 2026-10-15"); '' for live data, which every file marks as preliminary.
    edition: str = ""
    assessment: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)
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
    def status(self) -> str:
        """What the file is: an approved edition, or preliminary live data."""
        return self.edition or PRELIMINARY

    @property
    def footer(self) -> str:
        return f"{self.status}. {SOURCE} Data per {self.data_date}. {self.disclosure_note}"

    def file_name(self, ext: str, what: str | None = None) -> str:
        return pack_name(self.quarter, self.filters, self.public, ext, what)

    def chart_file_name(self, item: ChartItem, ext: str) -> str:
        return export_name(self.quarter, item.file_stem, ext, filters=self.filters,
                           public=self.public)

    def about(self) -> list[tuple[str, object]]:
        """Key–value lines describing the pack (first sheet of the workbook)."""
        lines: list[tuple[str, object]] = [
            ("Titel", self.title), ("Status", self.status), ("Kvartal", self.quarter),
            ("Period", self.period),
            ("Urval", self.selection), ("Data per", self.data_date),
            ("Skapad", self.created.isoformat()), ("Röjandekontroll", self.disclosure_note),
            ("Källa", SOURCE.removeprefix("Källa: ")),
        ]
        if self.demo:
            lines.append(("Obs!", DEMO_NOTE))
        if self.public:
            lines.append(("Variant", "Publik: bara övergripande indikatorer."))
        lines += [(heading, text) for heading, text in self.assessment]
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


PRELIMINARY = "Preliminärt: ej fastställd lägesbild, siffrorna kan ändras"
DEMO_NOTE = ("Demodata – syntetiska uppgifter, inte verkliga rapporter. Ta bort med "
             "`lagesbild demo --remove` innan lägesbilden används på riktigt.")


def default_period(store: Store, today: dt.date | None = None) -> tuple[str, str]:
    """The dashboard's default period (`periods.default_period`) for the data in `store`."""
    period = periods.default_period(*ind.data_span(store), today)
    if period is None:
        raise ExportError("Det finns inga rapporter att exportera.")
    return period


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
        "dolt antal; en summa kan därför skilja sig något från summan av delarna. En summa "
        "över flera kvartal eller värden där en del är dold visas ungefärlig (≈), "
        "uppskattad ur de visade delarna.")
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


def build_pack(store: Store, request: PackRequest, *, today: dt.date | None = None,
               extra_charts: Sequence[ChartDef] = ()) -> Pack:
    """Compute the whole pack (no images yet: they are rendered when a format needs them).
    `extra_charts`: charts beyond the catalogue's choices (an edition's sections), after them."""
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
    quarter_filters = filters.with_period(last, last)
    extra = (f"Antal avrundade till {rounding}-tal",) if rounding > 1 else ()
    chart = ChartContext(filters=filters_text, data_as_of=data_as_of, threshold=threshold,
                         extra=extra)
    # Context events are the analysts' notes: on internal trend charts, not in the public one.
    events = () if request.public else tuple(events_for_period(store, first, last))
    over_period = views.Context(
        replace(chart, period=period_label(first, last),
                n=_published_total(store, filters, disclosure)),
        style="slide", events=events, quarter=last)
    of_quarter = views.Context(
        replace(chart, period=last, n=_published_total(store, quarter_filters, disclosure)),
        style="slide", quarter=last)
    tables = _Tables(store, views.protection_for(disclosure))
    items = [_item(CHARTS[k], request.public, tables,
                   quarter_filters if CHARTS[k].quarter else filters,
                   of_quarter if CHARTS[k].quarter else over_period) for k in keys]
    items += [_item(d, request.public, tables, quarter_filters if d.quarter else filters,
                    of_quarter if d.quarter else over_period) for d in extra_charts]
    figures = summary.key_figures(store, last, filters, disclosure)
    if request.public:
        sentences = public_module.summary_sentences(figures)
        key_table = keyfigures.key_table(figures, ["totalt"])
        quarters_and_years = tables(PUBLIC_QUARTERS, filters)
        sheets = {"Per kvartal": PUBLIC_QUARTERS.quarters(quarters_and_years),
                  "Per år": PUBLIC_QUARTERS.years(quarters_and_years)}
        sheets.update({name: tables(entry, filters) for name, entry in PUBLIC_SHEETS.items()})
    else:
        sentences = [s.text for s in summary.summarize(store, last, filters, disclosure)]
        key_table = keyfigures.key_table(figures)
        sheets = {"Nyckeltal": key_table}
        sheets.update({item.sheet: item.data for item in items})
    return Pack(
        title=PUBLIC_TITLE if request.public else TITLE, quarter=last,
        period=period_label(first, last), filters=filters, filters_text=filters_text,
        disclosure=disclosure, public=request.public, data_as_of=data_as_of,
        created=today or dt.date.today(), demo=store.has_demo_data(), key_figures=figures,
        key_table=key_table, summary=sentences, charts=items, tables=sheets,
        method=method_paragraphs(disclosure, request.public),
        support=public_module.support_lines() if request.public else [],
        events=list(events),
    )
