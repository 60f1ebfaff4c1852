"""The store: the only place that writes SQL to the database file.

`database` holds `Store` (one connection per process, a cursor per query, every import a batch,
rollback and demo removal for every dataset), `schema` the versioned migrations and the datasets,
`audit` the audit log, `backup` backups and restores. Import `Store` and friends from here.
"""

from lagesbild.store.database import (
    EDITED_IN_APP,
    QUARTER_SQL,
    Receipt,
    Store,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    all_versions,
    content_sha256,
)

__all__ = ["EDITED_IN_APP", "QUARTER_SQL", "Receipt", "Store", "StoreCorrupt", "StoreError",
           "StoreLocked", "all_versions", "content_sha256"]
