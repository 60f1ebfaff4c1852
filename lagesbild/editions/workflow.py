"""Drafts, texts, comments, approval, versions, revisions and exports of a quarter's edition.

Role-agnostic: the access policy (`lagesbild.access.policy`) decides who may call what and
writes the audit log; these functions take who acts (`by`, and the role for an approval or a
comment) and refuse what cannot be done with an `EditionError` (Swedish, says what to do).

Every text (an assessment's section, a comment, a revision note) passes the intake's privacy
guard before it is stored: a personal identity number, an e-mail address or a phone number
anywhere in it refuses the whole save, naming the section and never repeating the value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lagesbild.domain import config
from lagesbild.domain.periods import parse_quarter, shift_quarter
from lagesbild.editions import frozen
from lagesbild.editions.sections import OVERALL, PUBLIC, chart_keys, heading_of, section_keys
from lagesbild.export.pack import DEFAULT_CHARTS, ChartItem, Pack, PackRequest, build_pack
from lagesbild.intake.privacy import REASONS, looks_personal
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import revisions, summary
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import norm_quarter
from lagesbild.store import Store
from lagesbild.store import editions as rows
from lagesbild.store.editions import DELAD, FASTSTALLD, UTKAST
from lagesbild.views import serial

INTERN, PUBLIK = "intern", "publik"
EXACT_PART, PUBLISHED_PART = "exakt", "publicerat"
MAX_TEXT = 20_000  # characters of one section
STATUS_LABELS = {UTKAST: "Utkast", DELAD: "Utkast, delat med beredningsgruppen",
                 FASTSTALLD: "Fastställd"}


class EditionError(Exception):
    """An edition's step cannot be done; the message is Swedish and says what to do."""


@dataclass(frozen=True)
class Version:
    """One version of a quarter's edition: the draft of the next one, or an approved one."""

    quarter: str
    version: int
    status: str
    created_at: dt.datetime
    created_by: str
    shared_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    approved_on: dt.date | None = None
    approved_by: str | None = None
    approved_role: str | None = None
    revision_note: str | None = None
    data_version: str | None = None
    reference_versions: str | None = None

    @property
    def approved(self) -> bool:
        return self.status == FASTSTALLD

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def stamp(self) -> str:
        """What an export from it says: 'Fastställd lägesbild 2026K3, version 2, fastställd
        2026-10-15'."""
        on = self.approved_on.isoformat() if self.approved_on else "–"
        return f"Fastställd lägesbild {self.quarter}, version {self.version}, fastställd {on}"

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Version:
        on = row["approved_on"]
        return cls(row["kvartal"], int(row["version"]), row["status"], row["created_at"],
                   row["created_by"], row["shared_at"], row["approved_at"],
                   on if isinstance(on, dt.date) or on is None else dt.date.fromisoformat(on),
                   row["approved_by"], row["approved_role"], row["revision_note"],
                   row["data_version"], row["reference_versions"])


def _quarter(quarter: str) -> str:
    parse_quarter(quarter)  # ValueError (Swedish) for a text that is no quarter
    return norm_quarter(quarter)


def versions(store: Store, quarter: str | None = None) -> list[Version]:
    """Every version (of a quarter), newest quarter and version first."""
    return [Version.of(r) for r in rows.editions(store, _quarter(quarter) if quarter else None)]


def approved_versions(store: Store, quarter: str) -> list[Version]:
    return [v for v in versions(store, quarter) if v.approved]


def latest_approved(store: Store, quarter: str) -> Version | None:
    return next(iter(approved_versions(store, quarter)), None)


def approved_version(store: Store, quarter: str, version: int | None = None) -> Version:
    """The approved version asked for (the latest by default); EditionError if none."""
    found = approved_versions(store, quarter)
    if version is not None:
        found = [v for v in found if v.version == version]
    if not found:
        which = f"version {version} av " if version is not None else ""
        raise EditionError(f"Det finns ingen fastställd {which}lägesbild för {quarter}. "
                           "Se `lagesbild edition list`.")
    return found[0]


def draft_of(store: Store, quarter: str) -> Version | None:
    """The quarter's draft (of its next version), if there is one."""
    return next((v for v in versions(store, quarter) if not v.approved), None)


def texts(store: Store, quarter: str, version: int) -> dict[str, str]:
    return rows.texts(store, _quarter(quarter), version)


def text_history(store: Store, quarter: str, version: int) -> list[dict[str, Any]]:
    return rows.text_history(store, _quarter(quarter), version)


def comments(store: Store, quarter: str, version: int) -> list[dict[str, Any]]:
    return rows.comments(store, _quarter(quarter), version)


# -- texts -----------------------------------------------------------------------------------
def check_text(text: str, where: str) -> str:
    """The text as stored (line ends normalised, trimmed); EditionError when it looks like
    personal data or is too long. The value itself is never repeated."""
    clean = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(clean) > MAX_TEXT:
        raise EditionError(f"Texten i {where} är för lång ({len(clean)} tecken, högst "
                           f"{MAX_TEXT}). Korta den och spara igen.")
    for line in clean.split("\n"):
        kind = looks_personal(line)
        if kind is not None:
            reason = REASONS[kind].replace("Cellen ser", "Texten ser")
            raise EditionError(f"{reason} i {where}. Ta bort uppgiften och spara igen: "
                               "lägesbilden får inte innehålla personuppgifter. Inget "
                               "sparades.")
    return clean


def _where(section: str) -> str:
    return f"avsnittet {heading_of(section)}"


def _period(store: Store, quarter: str) -> Filters:
    first, _last = ind.data_span(store)
    start = shift_quarter(quarter, -7)
    if first and parse_quarter(first) > parse_quarter(start) \
            and parse_quarter(first) <= parse_quarter(quarter):
        start = first
    return Filters(start, quarter)


def generated_start(store: Store, quarter: str) -> str:
    """The generated summary of the quarter with the preparation group's protected numbers:
    the overall section's starting point."""
    sentences = summary.summarize(store, quarter, Filters(), config.settings().disclosure)
    return " ".join(s.text for s in sentences)


def start_draft(store: Store, quarter: str, by: str) -> Version:
    """A draft of the quarter's next version: the latest approved version's texts, or (for
    the first) the generated summary as the overall assessment."""
    quarter = _quarter(quarter)
    if draft_of(store, quarter) is not None:
        raise EditionError(f"Det finns redan ett utkast för {quarter}.")
    latest = latest_approved(store, quarter)
    if latest is not None:
        start = texts(store, quarter, latest.version)
    else:
        start = {OVERALL: generated_start(store, quarter)}
    rows.create(store, quarter, latest.version + 1 if latest else 1, by, start)
    found = draft_of(store, quarter)
    assert found is not None
    return found


def _draft(store: Store, quarter: str) -> Version:
    found = draft_of(store, quarter)
    if found is None:
        raise EditionError(f"Det finns inget utkast för {quarter}. Påbörja ett utkast först.")
    return found


def save_texts(store: Store, quarter: str, new: Mapping[str, str], by: str) -> list[str]:
    """Store the sections whose text changed (all checked first: nothing is stored when one
    is refused). Returns the changed sections."""
    quarter = _quarter(quarter)
    draft = _draft(store, quarter)
    known = set(section_keys(new))
    current = texts(store, quarter, draft.version)
    checked = {}
    for section, text in new.items():
        if section not in known:
            raise EditionError(f"Okänt avsnitt {section!r}.")
        clean = check_text(text, _where(section))
        if clean != current.get(section, ""):
            checked[section] = clean
    if checked:
        rows.add_texts(store, quarter, draft.version, checked, by)
    return list(checked)


def share(store: Store, quarter: str, by: str) -> Version:
    """Share the draft with the preparation group (who then read it and comment)."""
    quarter = _quarter(quarter)
    draft = _draft(store, quarter)
    if draft.status == DELAD:
        raise EditionError(f"Utkastet för {quarter} är redan delat.")
    rows.share(store, quarter, draft.version, by)
    return _draft(store, quarter)


def add_comment(store: Store, quarter: str, section: str, text: str, by: str,
                role: str) -> None:
    """A comment on a section of the shared draft."""
    quarter = _quarter(quarter)
    draft = _draft(store, quarter)
    if draft.status != DELAD:
        raise EditionError(f"Utkastet för {quarter} är inte delat ännu: det går att "
                           "kommentera när analytikerna har delat det.")
    if section not in set(section_keys([section])):
        raise EditionError(f"Okänt avsnitt {section!r}.")
    clean = check_text(text, f"kommentaren till {heading_of(section)}")
    if not clean:
        raise EditionError("Kommentaren är tom. Skriv något och skicka igen.")
    rows.add_comment(store, quarter, draft.version, section, clean, by, role)


# -- approval: the edition is frozen -------------------------------------------------------------
def _requests(store: Store, quarter: str) -> tuple[PackRequest, PackRequest]:
    filters = _period(store, quarter)
    pack_keys, _extra = chart_keys()
    internal = PackRequest(filters, tuple(dict.fromkeys([*DEFAULT_CHARTS, *pack_keys])))
    return internal, PackRequest(filters, public=True)


def approve(store: Store, quarter: str, *, by: str, role: str, on: dt.date | None = None,
            note: str | None = None, today: dt.date | None = None) -> Version:
    """Approve the quarter's draft: its texts and the published tables (preparation group,
    public variant) are frozen with the exact counts its revisions are checked against and
    the versions of the data it was built from. A second or later version needs a revision
    note."""
    quarter = _quarter(quarter)
    draft = _draft(store, quarter)
    clean_note = check_text(note or "", "revisionsanteckningen") or None
    if draft.version > 1 and not clean_note:
        raise EditionError(f"Version {draft.version} av {quarter} ersätter en fastställd "
                           "version: skriv en revisionsanteckning (varför och vad som har "
                           "ändrats) och fastställ igen.")
    on = on or today or dt.date.today()
    internal_request, public_request = _requests(store, quarter)
    _pack_keys, extra = chart_keys()
    data_version = store.data_version()
    internal = build_pack(store, internal_request, today=today, extra_charts=extra)
    public = build_pack(store, public_request, today=today)
    rule = config.settings().disclosure
    exact = {k: c.value for k, c in revisions.quarter_cells(store, quarter, None).items()}
    published = {k: c.to_list()
                 for k, c in revisions.quarter_cells(store, quarter, rule).items()}
    parts = {**frozen.freeze(internal, INTERN), **frozen.freeze(public, PUBLIK),
             EXACT_PART: json.dumps(exact, ensure_ascii=False).encode(),
             PUBLISHED_PART: json.dumps(published, ensure_ascii=False).encode()}
    rows.approve(store, quarter, draft.version, on=on, by=by, role=role, note=clean_note,
                 data_version=json.dumps(list(data_version)),
                 reference_versions=json.dumps(store.reference_versions(), ensure_ascii=False),
                 parts=parts)
    return approved_version(store, quarter, draft.version)


# -- an approved version: its files, charts and revisions ------------------------------------------
def _part(store: Store, version: Version, name: str) -> bytes:
    data = rows.part(store, version.quarter, version.version, name)
    if data is None:
        raise EditionError(f"Den fastställda lägesbilden {version.quarter} version "
                           f"{version.version} saknar sin del {name!r}: databasen är "
                           "ofullständig. Återställ en säkerhetskopia.")
    return data


def assessment(store: Store, version: Version, public: bool = False) \
        -> list[tuple[str, str]]:
    """The version's texts as (heading, text), in the sections' order; the public variant
    has its own text only (the others may quote the preparation group's finer numbers)."""
    written = texts(store, version.quarter, version.version)
    order = section_keys(written)
    keys = [PUBLIC] if public else [k for k in order if k in written and k != PUBLIC]
    return [(heading_of(k), written[k]) for k in keys if written.get(k, "").strip()]


def edition_pack(store: Store, quarter: str, version: int | None = None, *,
                 public: bool = False, style: str = "slide", figures: bool = True) -> Pack:
    """The meeting pack (or its public variant) of an approved version (the latest by
    default): its frozen numbers and texts, stamped with its version and approval date
    (`figures=False`: without drawing the figures, for the workbook)."""
    found = approved_version(store, _quarter(quarter), version)
    prefix = PUBLIK if public else INTERN
    manifest = json.loads(_part(store, found, f"{prefix}/manifest"))
    return frozen.thaw(manifest, lambda name: serial.table_from_bytes(_part(store, found, name)),
                       edition=found.stamp(), assessment=assessment(store, found, public),
                       style=style, figures=figures)


def frozen_charts(store: Store, quarter: str, version: int | None = None) \
        -> dict[str, ChartItem]:
    """The approved version's charts for the preparation group, drawn for the screen from the
    frozen tables: {chart key: item}."""
    pack = edition_pack(store, quarter, version, style="screen")
    return {item.key: item for item in pack.charts}


@dataclass(frozen=True)
class Revision:
    """How later data changed an approved version's figures (protected)."""

    version: Version
    changes: tuple[revisions.Revised, ...]

    @property
    def revised(self) -> bool:
        return bool(self.changes)

    def key_lines(self) -> list[str]:
        return [c.line() for c in self.changes if c.key_figure]

    def lines(self) -> list[str]:
        return [c.line() for c in self.changes]


def revision(store: Store, quarter: str, version: int | None = None) -> Revision | None:
    """The approved version (latest by default) against the live data: the figures whose
    exact counts changed, shown with the preparation group's protected numbers. None when the
    quarter has no approved version."""
    quarter = _quarter(quarter)
    try:
        found = approved_version(store, quarter, version)
    except EditionError:
        return None
    exact = json.loads(_part(store, found, EXACT_PART))
    changed = revisions.changed_keys(exact, revisions.quarter_cells(store, quarter, None))
    if not changed:
        return Revision(found, ())
    then = {k: revisions.Cell.from_list(v)
            for k, v in json.loads(_part(store, found, PUBLISHED_PART)).items()}
    now = revisions.quarter_cells(store, quarter, config.settings().disclosure)
    return Revision(found, tuple(revisions.revised(changed, then, now)))


def built_from(version: Version) -> dict[str, Any]:
    """What an approved version was built from: the data version and the batches of the code
    lists, the partner register and the population (0: the defaults)."""
    data = json.loads(version.data_version) if version.data_version else None
    refs = json.loads(version.reference_versions) if version.reference_versions else {}
    return {"data_version": data, **refs}
