"""Deliveries beyond a file of reports: a nil return ("inga rapporter" for a quarter) and the
withdrawal of one report. Both go through the intake pipeline as one-row tables, are stored as
one batch each, logged in the audit log and undone by rolling the batch back.

A nil return for a partner and quarter that already has reports is refused; reports imported
later for that partner and quarter replace the nil return (withdrawn in the same batch). Coverage
counts a nil return as delivered, with 0 reports.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from lagesbild.domain.text import normalise_id
from lagesbild.intake.followup.edits import EditRefused
from lagesbild.intake.kinds import NIL_KIND, nil_sheet
from lagesbild.intake.pipeline import CheckedFile, check_rows
from lagesbild.store import Receipt, Store, audit
from lagesbild.store.schema import NIL_RETURNS, REPORTS

NIL_FILE = "inga rapporter"


def register_nil(store: Store, partner: str, quarter: str, by: str,
                 today: dt.date | None = None) -> tuple[CheckedFile, Receipt | None]:
    """Record that `partner` has no reports for `quarter`; (checked, receipt), the receipt
    None when refused (see checked.problems) and its batch_id None when already recorded."""
    label = f"{NIL_FILE} {quarter}".strip()
    checked = check_rows(NIL_KIND, nil_sheet(partner, quarter, label), store, today)
    if not checked.accepted or checked.rows is None:
        audit.log(store, by, NIL_KIND.audit_action, audit.NEKAD, f"{partner} {quarter}",
                  "; ".join(p.reason for p in checked.problems))
        return checked, None
    receipt = store.edit_rows(NIL_RETURNS, checked.rows, edited_by=by,
                              file_name=f"{NIL_FILE} {checked.rows.column('kvartal')[0]}")
    audit.log(store, by, NIL_KIND.audit_action, audit.OK, f"{partner} {quarter}",
              f"batch {receipt.batch_id}" if receipt.batch_id else "redan registrerad")
    return checked, receipt


def withdraw_report(store: Store, partner: str, rapport_id: str, id_period: str,
                    by: str) -> Receipt:
    """Withdraw one current report: a new version marked withdrawn (kept in the history;
    rolling the batch back brings the report back). Raises EditRefused."""
    rapport_id = normalise_id(rapport_id)
    found = store.select_current(REPORTS, "partner = ? AND rapport_id = ? AND id_period = ?",
                                 [partner, rapport_id, id_period or ""])
    if not len(found):
        raise EditRefused(f"Det finns ingen rapport {rapport_id} från {partner}.")
    row = found.select(list(REPORTS.columns))
    row = row.append_column("borttagen", pa.array([True]))
    return store.edit_rows(REPORTS, row, edited_by=by, file_name="återkallad rapport")


def reports_of(store: Store, partner: str | None = None) -> pd.DataFrame:
    """The current reports (of one partner), newest first: partner, rapport_id, id_period,
    datum, kvartal, rapporttyp, omrade, form, handelse, verksamhet."""
    where, params = ("partner = ?", [partner]) if partner else ("true", [])
    table = store.select_current(REPORTS, where, params)
    frame = table.select(["partner", "rapport_id", "id_period", "datum", "kvartal",
                          "rapporttyp", "omrade", "form", "handelse", "verksamhet"]).to_pandas()
    return frame.sort_values(["datum", "rapport_id"], ascending=[False, True]).reset_index(
        drop=True)
