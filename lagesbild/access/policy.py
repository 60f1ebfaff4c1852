"""The access policy: every guarded action and every audit entry of an action goes through here.

Hiding a button is not security. The web app and the command line call the engine through the
`guarded_*` functions below (and `require` for anything else); they refuse an action the
user's role does not allow, log the refusal in the audit log (outcome "nekad") and raise
`AccessDenied` with a Swedish message. Exports are recorded with `record_export`.

Over 500 lines as one cohesive job: the one gate of every guarded action (imports, reference
data, follow-up, editions), kept together so that what a role may do is reviewed in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lagesbild import editions
from lagesbild.access.roles import (
    ACTIONS,
    ANALYTIKER,
    AUDIT_ACTIONS,
    ROLE_LABELS,
    AccessDenied,
    User,
    can,
)
from lagesbild.domain import config
from lagesbild.domain.contracts import contract
from lagesbild.intake import codelists as codelist_import
from lagesbild.intake import deliveries, history, partners, partners_edit
from lagesbild.intake.codelists import CodelistImport
from lagesbild.intake.deliveries import reports_of, withdraw_report
from lagesbild.intake.followup import activities as activity_edits
from lagesbild.intake.followup import events as event_edits
from lagesbild.intake.followup.imports import check_followup_file
from lagesbild.intake.kinds import POPULATION_KIND, kind_named
from lagesbild.intake.pipeline import (
    ChangesUnconfirmed,
    CheckedFile,
    check,
    check_file,
    outcome_details,
    store_checked,
)
from lagesbild.intake.population import PopulationImport
from lagesbild.intake.problem_report import safe_file_name
from lagesbild.intake.reading import Cell
from lagesbild.numbers.disclosure import SECONDARY_MARK, publish_count
from lagesbild.store import Receipt, Store, StoreError, audit
from lagesbild.store.schema import REPORTS

# The audit log's vocabulary, for pages that show it.
AUDIT_OUTCOMES = audit.OUTCOMES
AUDIT_COLUMNS = audit.COLUMNS
AUDIT_LABELS = audit.LABELS


def require(user: User | None, action: str, store: Store | None = None,
            target: str | None = None) -> User:
    """Return the user if the role allows the action; otherwise log the refusal in the audit
    log (when a store is given) and raise AccessDenied."""
    if can(user, action):
        assert user is not None
        return user
    who = user.name if user is not None else "okänd"
    reason = (f"saknar behörighet (roll {user.role})" if user is not None
              else "inte inloggad")
    if store is not None:
        audit.log(store, who, AUDIT_ACTIONS[action], audit.NEKAD, target, reason)
    if user is None:
        raise AccessDenied(f"Du måste logga in för att {ACTIONS[action]}.")
    raise AccessDenied(
        f"Rollen {user.role_label} får inte {ACTIONS[action]}. Kontakta en analytiker om du "
        "behöver det."
    )


# -- guarded engine entry points (the web app calls these, never the store directly) ---------
def guarded_check(store: Store, user: User | None, data: bytes, file_name: str,
                  limits: config.ImportLimits | None = None, codelists: Any = None, *,
                  partner: str | None = None, replace: bool = False) -> CheckedFile:
    """Check an uploaded report file (nothing is stored). The file name is made safe first
    (a name with personal data is never shown or logged); a refused file is logged as a
    refused import. `partner`: the partner chosen for the file; `replace`: the file is the
    partner's complete delivery for the quarters it covers."""
    name = safe_file_name(file_name)
    who = require(user, "upload", store, name)
    checked = check_file(data, name, store, limits or config.settings().web_limits, codelists,
                         partner=partner or None, replace=replace)
    if not checked.accepted:
        audit.log(store, who.name, "import", audit.NEKAD, checked.file_name,
                  f"{len(checked.problems)} problem")
    return checked


def guarded_import(store: Store, user: User | None, checked: CheckedFile,
                   confirmed: bool = False) -> Receipt:
    """Store a checked, accepted file as one batch and log it. A file whose changes need
    confirmation (CheckedFile.needs_confirmation) is stored only when `confirmed`."""
    require(user, "upload", store, checked.file_name)
    assert user is not None
    if not checked.accepted:
        raise ValueError("Filen har problem och kan inte importeras. Rätta filen och ladda "
                         "upp den igen.")
    action = kind_named(checked.kind).audit_action
    try:
        receipt = store_checked(store, checked, user.name, confirmed=confirmed)
    except ChangesUnconfirmed:
        audit.log(store, user.name, action, audit.NEKAD, checked.file_name,
                  f"{checked.changed} ändrade rader inte bekräftade")
        raise
    except Exception as exc:
        audit.log(store, user.name, action, audit.FEL, checked.file_name,
                  type(exc).__name__)
        raise
    audit.log(store, user.name, action, audit.OK, checked.file_name,
              outcome_details(checked, receipt))
    return receipt


def guarded_nil_return(store: Store, user: User | None, partner: str, quarter: str,
                       today: dt.date | None = None) -> tuple[CheckedFile, Receipt | None]:
    """Register that a partner has no reports for a quarter (logged)."""
    who = require(user, "upload", store, f"{partner} {quarter}")
    checked, receipt = deliveries.register_nil(store, partner, quarter, who.name, today)
    return checked, receipt


def guarded_withdraw_report(store: Store, user: User | None, partner: str, rapport_id: str,
                            id_period: str = "") -> Receipt:
    """Withdraw one report (a versioned change that rollback undoes), logged."""
    target = f"{partner} {rapport_id}"
    who = require(user, "upload", store, target)
    receipt = withdraw_report(store, partner, rapport_id, id_period, who.name)
    audit.log(store, who.name, "rapport återkallad", audit.OK, target,
              f"batch {receipt.batch_id}")
    return receipt


def current_reports(store: Store, user: User | None, partner: str | None = None) \
        -> pd.DataFrame:
    """The current reports (of one partner), for the analyst who withdraws one."""
    require(user, "upload", store)
    return reports_of(store, partner)


def guarded_rollback(store: Store, user: User | None, batch_id: int) -> int:
    """Roll back an import; returns the number of reports affected."""
    target = f"batch {batch_id}"
    require(user, "rollback", store, target)
    assert user is not None
    try:
        affected = store.rollback(batch_id, user.name)
    except StoreError as exc:
        audit.log(store, user.name, "återställning", audit.FEL, target, str(exc))
        raise
    audit.log(store, user.name, "återställning", audit.OK, target,
              f"{affected} rapporter påverkade")
    return affected


def audit_entries(store: Store, user: User | None, since: Any = None, actor: str | None = None,
                  action: str | None = None, outcome: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first (analysts only)."""
    require(user, "audit_log", store)
    return audit.entries(store, since=since, actor=actor, action=action, outcome=outcome,
                         limit=limit)


def disclosure_for(user: User | None, exact: bool = False, store: Store | None = None) \
        -> config.Disclosure | None:
    """The disclosure rule for a user's view: None (exact counts) only when asked for and
    allowed; the preparation group always gets the rule."""
    if not exact:
        require(user, "view", store)
        return config.settings().disclosure
    require(user, "exact_counts", store)
    return None


def sees_exact_counts(user: User | None) -> bool:
    """Whether the user's role may see exact counts (analysts)."""
    return can(user, "exact_counts")


@dataclass
class ExportRecord:
    """What an export wrote, for its audit entry (the caller may refine it while exporting)."""

    target: str
    details: str | None = None


EXACT_EXPORT = "exakta antal, internt"


@contextmanager
def exporting(store: Store, user: User | None, target: str,
              details: str | None = None, *, exact: bool = False) -> Iterator[ExportRecord]:
    """Check that the user may export, then log the export made inside the block: "ok" with
    the record's target and details, or "fel" with the reason (the error is raised again).

    Exports have protected numbers. `exact=True` is an internal export with exact counts: the
    role must be allowed to see exact counts (refused and logged otherwise), and the entry
    says so."""
    who = require(user, "export", store, target)
    if exact:
        require(user, "exact_counts", store, target)
    record = ExportRecord(target, details)

    def said() -> str | None:
        if not exact:
            return record.details
        return f"{EXACT_EXPORT}; {record.details}" if record.details else EXACT_EXPORT

    try:
        yield record
    except Exception as exc:
        audit.log(store, who.name, "export", audit.FEL, record.target,
                  f"{said()}: {exc}" if said() else str(exc))
        raise
    audit.log(store, who.name, "export", audit.OK, record.target, said())


def record_export(store: Store, user: User | None, target: str,
                  details: str | None = None, *, exact: bool = False) -> None:
    """Check that the user may export and log an export that is already made."""
    with exporting(store, user, target, details, exact=exact):
        pass


def import_history(store: Store, user: User | None) -> pd.DataFrame:
    """The import history for a reader: analysts see who imported and exact row counts; the
    preparation group sees the role instead of names and, for batches of reports, the
    number of reports in the batch as a protected cell (cell-key method: its key is that of
    the batch's reports) and the other row counts hidden (".."); they have no record set of
    their own to be protected by."""
    require(user, "view", store)
    assert user is not None
    if can(user, "exact_counts"):
        return history.import_history(store)
    frame = history.import_history(store, names=False, role_label=ROLE_LABELS[ANALYTIKER])
    rule = config.settings().disclosure
    cells = store.batch_report_cells()
    kinds = {str(b["batch_id"]): b["kind"] for b in store.batches()}
    first, *others = history.COUNT_COLUMNS
    reports = frame["Import"].map(kinds) == REPORTS.kind
    frame[list(history.COUNT_COLUMNS)] = frame[list(history.COUNT_COLUMNS)].astype(object)
    for i in np.flatnonzero(reports.to_numpy()):
        rows, key = cells.get(int(frame.at[i, "Import"]), (0, 0))
        frame.at[i, first] = publish_count(rows, key, rule)[1]
        for column in others:
            frame.at[i, column] = SECONDARY_MARK
    return frame


def undoable_batches(store: Store, user: User | None) -> dict[int, str]:
    """The batches the user may roll back: {batch id: label} (analysts only)."""
    require(user, "rollback", store)
    return history.undoable(store)


def guarded_import_population(store: Store, user: User | None, data: bytes,
                              file_name: str) -> PopulationImport:
    """Import a population table (reference data, CSV or a workbook) and log the outcome."""
    name = safe_file_name(file_name)
    who = require(user, "reference_data", store, name)
    checked = check(POPULATION_KIND, data, name, store, config.settings().web_limits)
    receipt = (store_checked(store, checked, who.name, confirmed=True)
               if checked.accepted else None)
    result = PopulationImport.of(store, checked, receipt)
    if result.accepted and not result.already_imported:
        audit.log(store, who.name, "referensdata", audit.OK, checked.file_name,
                  f"befolkning, batch {result.batch_id}, {result.rows} rader")
    elif not result.accepted:
        audit.log(store, who.name, "referensdata", audit.NEKAD, checked.file_name,
                  f"{len(result.problems)} problem")
    return result


# -- reference data: the partner register -----------------------------------------------------
def partner_register(store: Store, user: User | None) -> list[partners.Partner]:
    """The partners (organisations) of the register, for everyone who sees the picture."""
    require(user, "view", store)
    return partners.register(store)


def guarded_save_partner(store: Store, user: User | None, name: str, sector: str,
                         numbering: str = partners.LOPANDE, active_from: str | None = None,
                         active_to: str | None = None,
                         predecessor: str | None = None) -> tuple[CheckedFile, Receipt | None]:
    """Add or change a partner (through the intake pipeline) and log it."""
    who = require(user, "reference_data", store, "partnerregistret")
    checked, receipt = partners_edit.save_partner(store, name, sector, numbering, active_from,
                                                  active_to, predecessor, who.name)
    return checked, receipt


def guarded_reassign_batch(store: Store, user: User | None, batch_id: int,
                           partner: str) -> Receipt:
    """Give a past batch of reports to another partner (rebuilt from the stored versions)."""
    target = f"batch {batch_id}"
    who = require(user, "upload", store, target)
    try:
        receipt = partners.reassign(store, batch_id, partner, who.name)
    except (StoreError, ValueError) as exc:
        audit.log(store, who.name, "partner ändrad för import", audit.FEL, target, str(exc))
        raise
    audit.log(store, who.name, "partner ändrad för import", audit.OK, target,
              f"till {partner}: batch {receipt.batch_id}, {receipt.rows_total} rapporter")
    return receipt


def report_batches(store: Store, user: User | None) -> dict[int, str]:
    """The report batches that may be given to another partner: {batch id: label}."""
    require(user, "upload", store)
    return history.report_batches(store)


def record_sign_in(store: Store, user: User) -> None:
    audit.log(store, user.name, "inloggning", audit.OK, None,
              f"{user.source}, roll {user.role}")


def record_sign_in_refused(store: Store, identity: str, reason: str) -> None:
    audit.log(store, identity or "okänd", "inloggning", audit.NEKAD, None, reason)


# -- follow-up: trainings, the activity plan, context events ----------------------------------
EDIT = "upload"  # the permission that changes data (analysts only)


def can_edit(user: User | None) -> bool:
    return can(user, EDIT)


def _log(store: Store, user: User, action: str, target: str, receipt: Receipt | None,
         details: str = "") -> None:
    batch = (f"batch {receipt.batch_id}" if receipt is not None and receipt.batch_id
             else "ingen ändring")
    audit.log(store, user.name, action, audit.OK, target, f"{batch}{details}")


def guarded_followup_check(store: Store, user: User | None, kind: str, data: bytes, file_name: str,
                  today: dt.date | None = None) -> CheckedFile:
    """Check an uploaded trainings or activity-plan file (nothing is stored)."""
    name = safe_file_name(file_name)
    require_edit = require(user, EDIT, store, name)
    checked = check_followup_file(kind, data, name, store, config.settings().web_limits,
                                  today)
    if not checked.accepted:
        audit.log(store, require_edit.name, f"import {contract(kind).title}", audit.NEKAD,
                  checked.file_name, f"{len(checked.problems)} problem")
    return checked


def guarded_followup_import(store: Store, user: User | None, checked: CheckedFile) -> Receipt:
    """Store a checked, accepted file as one batch and log it."""
    return guarded_import(store, user, checked, confirmed=True)


def save_activity(store: Store, user: User | None, values: Mapping[str, Cell],
                  today: dt.date | None = None) -> tuple[str, Receipt]:
    who = require(user, EDIT, store, "aktivitetsplanen")
    aktivitet_id, receipt = activity_edits.save_activity(store, values, who.name, today)
    _log(store, who, "aktivitetsplan ändrad", aktivitet_id, receipt)
    return aktivitet_id, receipt


def remove_activity(store: Store, user: User | None, aktivitet_id: str) -> Receipt:
    who = require(user, EDIT, store, aktivitet_id)
    receipt = activity_edits.remove_activity(store, aktivitet_id, who.name)
    _log(store, who, "aktivitet borttagen", aktivitet_id, receipt)
    return receipt


def add_event(store: Store, user: User | None, datum: Cell, kategori: object,
              titel: object, today: dt.date | None = None) -> str:
    who = require(user, EDIT, store, "omvärldshändelser")
    handelse_id = event_edits.add_event(store, datum, kategori, titel, who.name, today)
    audit.log(store, who.name, "omvärldshändelse tillagd", audit.OK, handelse_id)
    return handelse_id


def edit_event(store: Store, user: User | None, handelse_id: str, datum: Cell,
               kategori: object, titel: object, today: dt.date | None = None) -> Receipt:
    who = require(user, EDIT, store, handelse_id)
    receipt = event_edits.edit_event(store, handelse_id, datum, kategori, titel, who.name, today)
    _log(store, who, "omvärldshändelse ändrad", handelse_id, receipt)
    return receipt


def remove_event(store: Store, user: User | None, handelse_id: str) -> Receipt:
    who = require(user, EDIT, store, handelse_id)
    receipt = event_edits.remove_event(store, handelse_id, who.name)
    _log(store, who, "omvärldshändelse borttagen", handelse_id, receipt)
    return receipt


# -- reference data: code lists ----------------------------------------------------------------
def guarded_check_codelist(store: Store, user: User | None, data: bytes, file_name: str,
                           list_name: str) -> CodelistImport:
    require(user, "reference_data", store, list_name)
    return codelist_import.check_codelist(store, data, safe_file_name(file_name), list_name)


def guarded_import_codelist(store: Store, user: User | None, data: bytes, file_name: str,
                            list_name: str) -> CodelistImport:
    """Replace a code list for a user allowed to change reference data (logged; a refused
    file as refused)."""
    checked = require(user, "reference_data", store, list_name)
    return codelist_import.import_codelist(store, data, safe_file_name(file_name), list_name,
                                           checked.name)


def codelist_file(store: Store, user: User | None, list_name: str) -> bytes:
    """The current version of a code list as CSV, to edit and upload again."""
    require(user, "reference_data", store, list_name)
    return codelist_import.csv_bytes(list_name)


def codelist_names(store: Store, user: User | None) -> list[str]:
    require(user, "reference_data", store)
    return codelist_import.list_names()


# -- the quarter's lägesbild: drafts, comments, approval, editions --------------------------------
def _edition_step(store: Store, who: User, action: str, quarter: str, step: Any) -> Any:
    """Run a step of an edition and log it: "nekad" with the (Swedish, value-free) reason
    when the step refuses, "ok" with what the step returns as details otherwise."""
    try:
        result, details = step()
    except editions.EditionError as exc:
        audit.log(store, who.name, AUDIT_ACTIONS[action], audit.NEKAD, quarter, str(exc))
        raise
    audit.log(store, who.name, AUDIT_ACTIONS[action], audit.OK, quarter, details)
    return result


def _readable(user: User, version: editions.Version) -> bool:
    """An approved version, a shared draft, or any draft for those who write drafts."""
    return version.approved or version.status == "delad" or can(user, "draft")


def edition_versions(store: Store, user: User | None, quarter: str) -> list[editions.Version]:
    """A quarter's versions the user may read, newest first (an unshared draft for analysts
    only)."""
    who = require(user, "view", store)
    return [v for v in editions.versions(store, quarter) if _readable(who, v)]


def _version_for(store: Store, user: User | None, quarter: str,
                 version: int) -> editions.Version:
    found = next((v for v in edition_versions(store, user, quarter) if v.version == version),
                 None)
    if found is None:
        raise editions.EditionError(f"Det finns ingen version {version} av lägesbilden för "
                                    f"{quarter} som du kan läsa.")
    return found


def edition_texts(store: Store, user: User | None, quarter: str,
                  version: int) -> dict[str, str]:
    found = _version_for(store, user, quarter, version)
    return editions.texts(store, found.quarter, found.version)


def edition_comments(store: Store, user: User | None, quarter: str,
                     version: int) -> list[dict[str, Any]]:
    found = _version_for(store, user, quarter, version)
    return editions.comments(store, found.quarter, found.version)


def edition_text_history(store: Store, user: User | None, quarter: str,
                         version: int) -> list[dict[str, Any]]:
    found = _version_for(store, user, quarter, version)
    return editions.text_history(store, found.quarter, found.version)


def start_edition_draft(store: Store, user: User | None, quarter: str) -> editions.Version:
    who = require(user, "draft", store, quarter)
    return _edition_step(store, who, "draft", quarter, lambda: (
        (v := editions.start_draft(store, quarter, who.name)), f"utkast version {v.version}"))


def save_edition_texts(store: Store, user: User | None, quarter: str,
                       texts: Mapping[str, str]) -> list[str]:
    """Save the draft's changed sections (every text through the privacy guard)."""
    who = require(user, "draft", store, quarter)
    return _edition_step(store, who, "draft", quarter, lambda: (
        (changed := editions.save_texts(store, quarter, texts, who.name)),
        f"texter sparade: {', '.join(changed) or 'inga ändringar'}"))


def share_edition(store: Store, user: User | None, quarter: str) -> editions.Version:
    """Share the draft with the preparation group."""
    who = require(user, "draft", store, quarter)
    return _edition_step(store, who, "draft", quarter, lambda: (
        (v := editions.share(store, quarter, who.name)),
        f"utkast version {v.version} delat med beredningsgruppen"))


def comment_edition(store: Store, user: User | None, quarter: str, section: str,
                    text: str) -> None:
    who = require(user, "comment", store, quarter)
    def step() -> tuple[None, str]:
        editions.add_comment(store, quarter, section, text, who.name, who.role)
        return None, f"avsnitt {section}"

    _edition_step(store, who, "comment", quarter, step)


def approve_edition(store: Store, user: User | None, quarter: str,
                    on: dt.date | None = None, note: str | None = None) -> editions.Version:
    """Approve the quarter's draft (role godkannare; analysts by default): it is frozen."""
    who = require(user, "approve", store, quarter)
    return _edition_step(store, who, "approve", quarter, lambda: (
        (v := editions.approve(store, quarter, by=who.name, role=who.role, on=on, note=note)),
        f"version {v.version}, beslutsdatum {v.approved_on}, roll {who.role}"))


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", role or "")


def edition_list(store: Store, user: User | None) -> pd.DataFrame:
    """Every edition the user may read: quarter, version, status, when approved and by which
    role, the revision note, and whether later data have revised it (the latest version)."""
    who = require(user, "view", store)
    listed = []
    latest_seen: set[str] = set()
    for v in editions.versions(store):
        if not _readable(who, v):
            continue
        revised = ""
        if v.approved and v.quarter not in latest_seen:
            latest_seen.add(v.quarter)
            found = editions.revision(store, v.quarter, v.version)
            revised = ("reviderad sedan fastställandet" if found is not None and found.revised
                       else "oförändrad")
        elif v.approved:
            revised = "ersatt av en senare version"
        listed.append({
            "Kvartal": v.quarter, "Version": v.version, "Status": v.status_label,
            "Fastställd": v.approved_on.isoformat() if v.approved_on else "",
            "Fastställd av": role_label(v.approved_role) if v.approved else "",
            "Revisionsanteckning": v.revision_note or "", "Revidering": revised})
    return pd.DataFrame(listed, columns=["Kvartal", "Version", "Status", "Fastställd",
                                         "Fastställd av", "Revisionsanteckning", "Revidering"])


def edition_revision(store: Store, user: User | None, quarter: str,
                     version: int | None = None) -> editions.Revision | None:
    """How later data changed the quarter's approved version (protected numbers)."""
    require(user, "view", store)
    return editions.revision(store, quarter, version)


def edition_file(store: Store, user: User | None, quarter: str, fmt: str,
                 version: int | None = None, public: bool = False) -> tuple[bytes, str]:
    """A file of an approved version (pptx, pdf, xlsx), checked and logged as an export:
    (bytes, file name)."""
    from lagesbild.export.files import pack_bytes

    found = editions.approved_version(store, quarter, version)
    name = f"{found.quarter}_lagesbild{'_publik' if public else ''}_v{found.version}.{fmt}"
    details = (f"{fmt}; fastställd lägesbild {found.quarter} version {found.version}"
               f"{'; publik' if public else ''}")
    with exporting(store, user, name, details):
        pack = editions.edition_pack(store, found.quarter, found.version, public=public,
                                     figures=fmt != "xlsx")
        return pack_bytes(pack, fmt), name
