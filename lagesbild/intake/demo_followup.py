"""Deterministic synthetic demo data for the follow-up: trainings, an activity plan, context
events. Invented from scratch (seeded), generic, and marked as demo (`is_demo` batches named
like the demo reports), so `lagesbild demo --remove` and the first real import remove them.

Built-in patterns: training reach grows over time and is concentrated on Socialtjänst, Polis
and Fritidsgård, while Grundskola – which sends many concern reports in the demo reports –
gets little training (so the "many concerns, little training" view has something to show);
the activity plan covers the two calendar years that end with the year of the latest full
quarter, with mixed status and some activities overdue.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lagesbild.domain.periods import quarter_of, quarter_start, quarters_between, shift_quarter
from lagesbild.intake.demo import DEMO_FILE_NAME, START, latest_full_quarter_end
from lagesbild.intake.followup.validation import ARROW_TYPES
from lagesbild.store import Receipt, Store, content_sha256
from lagesbild.store.schema import (
    ACTIVITIES,
    ACTIVITY_COLUMNS,
    EVENT_COLUMNS,
    EVENTS,
    TRAINING_COLUMNS,
    TRAININGS,
    Dataset,
)

# Target sector: relative weight of efforts.
_SECTORS = {"Socialtjänst": 9, "Polis": 5, "Fritidsgård": 6, "Gymnasieskola": 4,
            "Grundskola": 1.2, "Region Västerbotten": 3, "Säkerhetsavdelningen": 2,
            "Civilsamhälle": 2, "Trossamfund": 1.5, "Bostadsbolag": 1}
_TYPES = {"Utbildning": 10, "Handledning": 4, "Studiebesök": 1.5, "Konferens": 1}
_THEMES = {"Våldsbejakande extremism allmänt": 5, "Högerextremism": 3,
           "Islamistisk extremism": 2, "Samtalsmetodik": 4, "Orosanmälan och rutiner": 3,
           "Digital radikalisering": 3, "Misogyn extremism och våldsfixering": 2,
           "Jämställdhet och genusnormer": 1, "Övrigt": 0.5}
_SIZE = {"Utbildning": (12, 45), "Handledning": (4, 12), "Studiebesök": (5, 15),
         "Konferens": (30, 120)}

# (name, goal, area, owner, start offset, due offset, status) – offsets in quarters from the
# plan's first quarter (0–7).
_PLAN = (
    ("Grundutbildning om våldsbejakande extremism för skolpersonal",
     "All personal i grundskolans elevhälsa har gått grundutbildningen",
     "Utbildning och metodutveckling", "UmeBrå", 0, 3, "Pågår"),
    ("Metodstöd i orossamtal för fritidsledare",
     "Fritidsledare känner sig trygga att föra orossamtal",
     "Utbildning och metodutveckling", "Fritid", 1, 4, "Klar"),
    ("Gemensam rutin för orosrapporter till lägesbilden",
     "Alla partner rapporterar kvartalsvis med samma mall",
     "Lägesbild och omvärldsbevakning", "UmeBrå", 0, 1, "Klar"),
    ("Kvartalsvis lägesbild till beredningsgruppen",
     "Beredningsgruppen får en lägesbild varje kvartal",
     "Lägesbild och omvärldsbevakning", "UmeBrå", 0, 7, "Pågår"),
    ("Översyn av konsultationsforums arbetsformer",
     "Tydliga roller och kortare väntetid för vägledning",
     "Stöd till berörda verksamheter", "Konsultationsforum", 2, 4, "Pågår"),
    ("Informationssida om stöd och stödlinjer",
     "Kommunmedborgare hittar stöd och nationella stödlinjer på kommunens webbplats",
     "Marknadsföring och information", "Kommunikation", 1, 2, "Klar"),
    ("Dialogmöten med interreligiösa rådet",
     "Två dialogmöten per år om förebyggande arbete",
     "Samverkan", "Interreligiösa rådet", 0, 7, "Pågår"),
    ("Studiebesök hos en annan kommuns samordnare",
     "Lärdomar om metoder från en jämförbar kommun",
     "Utbildning och metodutveckling", "Beredningsgruppen", 3, 5, "Stoppad"),
    ("Utbildning om digital radikalisering för gymnasiet",
     "Gymnasiets personal känner igen digital radikalisering",
     "Utbildning och metodutveckling", "Gymnasieskola", 4, 6, "Planerad"),
    ("Samverkansavtal med bostadsbolagen om propaganda i trapphus",
     "Snabb sanering och rapportering av propaganda",
     "Samverkan", "Säkerhetsavdelningen", 2, 5, "Planerad"),
    ("Jämställdhetsperspektiv i förebyggande insatser",
     "Genusnormer ingår i alla utbildningar",
     "Ledning och uppföljning", "Styrgruppen", 5, 7, "Planerad"),
    ("Uppföljning av aktivitetsplanen i styrgruppen",
     "Styrgruppen följer planen två gånger per år",
     "Ledning och uppföljning", "Beredningsgruppen", 0, 7, "Pågår"),
)

# (category, title, quarters before the latest full quarter, day in that quarter)
_EVENTS = (
    ("Nationell hotnivå", "Nationell hotnivå höjd till 4 (exempel)", 12, 50),
    ("Attack eller händelse i omvärlden", "Uppmärksammad attack i ett grannland (exempel)",
     9, 20),
    ("Lokal kampanj eller insats", "Lokal kampanj mot propaganda i trapphus (exempel)", 7, 35),
    ("Ändrad rapportering hos partner", "Ny rapporteringsrutin i grundskolan (exempel)", 5, 10),
    ("Nationell hotnivå", "Nationell hotnivå sänkt till 3 (exempel)", 3, 60),
    ("Övrigt", "Uppmärksammad dokumentär om nätmiljöer (exempel)", 1, 25),
)


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def demo_trainings(until: dt.date | None = None, seed: int = 2026) -> pa.Table:
    """Synthetic trainings from 2022 to the latest full quarter before `until`."""
    end = latest_full_quarter_end(until or dt.date.today())
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    quarters = quarters_between(quarter_of(START), quarter_of(end))
    for index, quarter in enumerate(quarters):
        summer = quarter.endswith("K3")
        mean = (2.5 + 4.0 * index / max(len(quarters) - 1, 1)) * (0.5 if summer else 1.0)
        count = int(rng.poisson(mean))
        first = quarter_start(quarter)
        days = (min(quarter_start(shift_quarter(quarter, 1)), end + dt.timedelta(days=1))
                - first).days
        kinds = _pick(rng, _TYPES, count)
        themes = _pick(rng, _THEMES, count)
        sectors = _pick(rng, _SECTORS, count)
        for k in range(count):
            low, high = _SIZE[kinds[k]]
            participants = int(rng.integers(low, high + 1))
            given = rng.random() < 0.7
            women = int(rng.binomial(participants, 0.62)) if given else None
            rows.append({
                "insats_id": f"DEMO-U{len(rows) + 1:03d}",
                "datum": first + dt.timedelta(days=int(rng.integers(0, days))),
                "typ": kinds[k], "tema": themes[k], "malgrupp": sectors[k],
                "antal_deltagare": participants, "varav_kvinnor": women,
                "varav_man": participants - women if women is not None else None,
            })
    return _table(TRAINING_COLUMNS, rows)


def plan_period(until: dt.date | None = None) -> tuple[str, str]:
    """The demo plan's two calendar years, ending with the year of the latest full quarter."""
    year = latest_full_quarter_end(until or dt.date.today()).year
    return f"{year - 1}K1", f"{year}K4"


def demo_activities(until: dt.date | None = None) -> pa.Table:
    """About twelve activities over the two-year plan, with mixed status (some overdue)."""
    first, _ = plan_period(until)
    rows = [{
        "aktivitet_id": f"DEMO-A{i:02d}", "aktivitet": name, "mal": goal, "omrade": area,
        "ansvarig": owner, "start_kvartal": shift_quarter(first, start),
        "klart_kvartal": shift_quarter(first, due), "status": status, "borttagen": False,
    } for i, (name, goal, area, owner, start, due, status) in enumerate(_PLAN, start=1)]
    return _table(ACTIVITY_COLUMNS, rows)


def demo_events(until: dt.date | None = None) -> pa.Table:
    """Six generic context events spread over the last three years of the demo reports."""
    last = quarter_of(latest_full_quarter_end(until or dt.date.today()))
    rows = []
    for i, (category, title, back, day) in enumerate(_EVENTS, start=1):
        rows.append({"handelse_id": f"DEMO-H{i:02d}",
                     "datum": quarter_start(shift_quarter(last, -back)) + dt.timedelta(day),
                     "kategori": category, "titel": title, "borttagen": False})
    return _table(EVENT_COLUMNS, rows)


def _table(columns: tuple[str, ...], rows: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema([(c, ARROW_TYPES.get(c, pa.string())) for c in columns])
    return pa.Table.from_pylist(rows, schema=schema)


def _has_real(store: Store, dataset: Dataset) -> bool:
    return bool(store.cursor().execute(
        "SELECT count(*) FROM batches WHERE kind = ? AND NOT is_demo", [dataset.kind]
    ).fetchall()[0][0])


def seed_followup_demo(store: Store, until: dt.date | None = None) -> list[Receipt]:
    """Load the demo trainings, activity plan and context events, each as one demo batch.

    A dataset that already has real (non-demo) batches, or demo data, is left alone. Call it
    right after `bootstrap.seed_demo`; `Store.remove_demo` removes everything again."""
    from lagesbild.domain import codelists

    receipts = []
    for dataset, rows in ((TRAININGS, demo_trainings(until)),
                          (ACTIVITIES, demo_activities(until)),
                          (EVENTS, demo_events(until))):
        present = store.cursor().execute(
            "SELECT count(*) FROM batches WHERE kind = ? AND rolled_back_at IS NULL",
            [dataset.kind]).fetchall()[0][0]
        if present or _has_real(store, dataset):
            continue
        receipts.append(store.import_rows(
            dataset, rows, file_name=DEMO_FILE_NAME, sha256=content_sha256(rows),
            imported_by="system", codelist_version=codelists.load().version, is_demo=True))
    return receipts
