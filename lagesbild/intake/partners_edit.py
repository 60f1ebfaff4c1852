"""Editing the partner register: one entry at a time (the page's form, `lagesbild partner
add`), checked by the intake pipeline like a file, stored as one batch, logged."""

from __future__ import annotations

from lagesbild.intake.kinds import PARTNER_KIND
from lagesbild.intake.partners import LOPANDE, find, partner_sheet, register
from lagesbild.intake.pipeline import CheckedFile, check_rows
from lagesbild.store import Receipt, Store, audit
from lagesbild.store.schema import PARTNERS

REGISTER_FILE = "partnerregistret"


def save_partner(store: Store, name: str, sector: str, numbering: str = LOPANDE,
                 active_from: str | None = None, active_to: str | None = None,
                 predecessor: str | None = None, by: str = "system") \
        -> tuple[CheckedFile, Receipt | None]:
    """Add a partner, or change the one with this name. (checked, receipt): the receipt is
    None when refused (see checked.problems); its batch_id None when nothing changed."""
    existing = find(register(store), name)
    shown = existing.name if existing else " ".join(name.split())
    sheet = partner_sheet(shown, sector, numbering or LOPANDE, active_from or None,
                          active_to or None, predecessor or None, REGISTER_FILE)
    checked = check_rows(PARTNER_KIND, sheet, store)
    if not checked.accepted or checked.rows is None:
        audit.log(store, by, PARTNER_KIND.audit_action, audit.NEKAD, REGISTER_FILE,
                  f"{len(checked.problems)} problem")
        return checked, None
    receipt = store.edit_rows(PARTNERS, checked.rows, edited_by=by, file_name=REGISTER_FILE)
    what = "ändrad" if existing else "tillagd"
    audit.log(store, by, PARTNER_KIND.audit_action, audit.OK, REGISTER_FILE,
              f"partner {what}, batch {receipt.batch_id}" if receipt.batch_id
              else "ingen ändring")
    return checked, receipt
