"""The sections of a quarter's assessment and the charts each sits beside.

A group is a heading with its charts (keys of the meeting pack's charts, `export.pack.CHARTS`,
or of `EXTRA`, the edition's own) and its sections (one text each): the overall assessment,
one per form of extremism (from the code list), the districts, the target groups and the
follow-up of the action plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lagesbild import views
from lagesbild.domain import codelists
from lagesbild.export.pack import CHARTS, ChartDef

OVERALL = "helhet"
# The one text of the public variant: written for the public, since the other sections may
# quote the preparation group's numbers, which are finer than the public rule.
PUBLIC = "publik"
FORM_PREFIX = "form:"
# Charts of the edition beyond the meeting pack's choices.
EXTRA: dict[str, ChartDef] = {d.key: d for d in (
    ChartDef("utbildning", "Utbildningsinsatser per målgrupp", views.Trainings(),
             "Utbildningsinsatser", "utbildningsinsatser"),
)}


@dataclass(frozen=True)
class Section:
    key: str  # "helhet", "form:Högerextremism", "omraden", …
    heading: str


@dataclass(frozen=True)
class Group:
    heading: str
    charts: tuple[str, ...]
    sections: tuple[Section, ...]


def _forms() -> list[str]:
    return list(codelists.load().for_field("form").values)


def groups(extra_sections: Iterable[str] = ()) -> list[Group]:
    """The groups of the assessment; `extra_sections`: section keys a stored edition has that
    the code lists no longer name (a form since removed), shown with the forms."""
    forms = _forms()
    known = {f"{FORM_PREFIX}{f}" for f in forms}
    more = [k.removeprefix(FORM_PREFIX) for k in extra_sections
            if k.startswith(FORM_PREFIX) and k not in known]
    return [
        Group("Övergripande bedömning", ("trend_totalt",),
              (Section(OVERALL, "Övergripande bedömning"),
               Section(PUBLIC, "Text för den publika varianten"))),
        Group("Former av extremism", ("trender_per_form", "per_form"),
              tuple(Section(f"{FORM_PREFIX}{f}", f) for f in [*forms, *more])),
        Group("Områden", ("per_omrade", "karta_omraden"),
              (Section("omraden", "Områden (stadsdelar)"),)),
        Group("Målgrupper", ("kon_alder", "per_verksamhet"),
              (Section("malgrupper", "Målgrupper"),)),
        Group("Uppföljning av handlingsplanen", ("utbildning",),
              (Section("uppfoljning", "Uppföljning av handlingsplanen"),)),
    ]


def chart_def(key: str) -> ChartDef:
    return CHARTS[key] if key in CHARTS else EXTRA[key]


def section_keys(extra_sections: Iterable[str] = ()) -> list[str]:
    return [s.key for g in groups(extra_sections) for s in g.sections]


def heading_of(key: str) -> str:
    """A section's heading as the files show it."""
    if key.startswith(FORM_PREFIX):
        return f"Form: {key.removeprefix(FORM_PREFIX)}"
    found = next((s.heading for g in groups() for s in g.sections if s.key == key), None)
    return found or key


def chart_keys() -> tuple[tuple[str, ...], tuple[ChartDef, ...]]:
    """(the pack's charts, the extra charts) that an edition freezes."""
    keys = [k for g in groups() for k in g.charts]
    pack = tuple(dict.fromkeys([*(k for k in keys if k in CHARTS)]))
    return pack, tuple(EXTRA[k] for k in dict.fromkeys(keys) if k in EXTRA)
