"""Every entry of the catalogue by its key, and an entry back from its JSON spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lagesbild.views.areas import DistrictMap, DistrictQuarters, DistrictRanking
from lagesbild.views.base import Entry
from lagesbild.views.categories import Ranking
from lagesbild.views.coverage import Coverage
from lagesbild.views.followup import ConcernsAndTraining, Trainings
from lagesbild.views.groups import AgeGender, Funnel, Lens
from lagesbild.views.trends import QuartersAndYears, Trend

ENTRIES: dict[str, type[Entry]] = {cls.key: cls for cls in (
    Trend, QuartersAndYears, DistrictMap, DistrictRanking, DistrictQuarters, Lens, AgeGender,
    Funnel, Ranking, Coverage, Trainings, ConcernsAndTraining,
)}


def from_spec(spec: Mapping[str, Any]) -> Entry:
    """The entry a `spec()` describes (ValueError for an unknown key or choice)."""
    params = dict(spec)
    kind = ENTRIES.get(str(params.pop("key", "")))
    if kind is None:
        raise ValueError(f"Okänt diagram i katalogen: {spec.get('key')!r}.")
    try:
        return kind(**params)
    except TypeError as error:
        raise ValueError(f"Fel val för diagrammet {kind.key!r}: {error}.") from error
