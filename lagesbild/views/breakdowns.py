"""The one breakdown of each dimension per role, for every view and every export.

Gender "Annat" is almost always a small count: wherever numbers are protected it is shown
together with "Okänt" as "Annat/okänt" (`numbers.tables.GENDER_OTHER_WITH_UNKNOWN`), so that
the shares of women and men can be published. The merge is safe only if no view or export
also publishes the unmerged table (see `numbers.tables.lens`): every entry that breaks
down by a dimension takes its categories from `Protection.merge`, never on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from lagesbild.domain.config import Disclosure
from lagesbild.numbers.tables import GENDER_OTHER_WITH_UNKNOWN
from lagesbild.views.base import Merge, Protection

# Dimension -> categories shown together, for every reader of protected numbers.
PROTECTED_MERGES: Mapping[str, Mapping[str, str]] = {"kon": GENDER_OTHER_WITH_UNKNOWN}


def _pairs(merge: Mapping[str, str]) -> Merge:
    return tuple(sorted(merge.items()))


def protection_for(disclosure: Disclosure | None) -> Protection:
    """The protection of a role's tables: its disclosure rule and, when numbers are
    protected, the merged categories (exact tables for analysts keep every category)."""
    if disclosure is None:
        return Protection(None)
    return Protection(disclosure, tuple((dim, _pairs(m)) for dim, m in
                                        sorted(PROTECTED_MERGES.items())))
