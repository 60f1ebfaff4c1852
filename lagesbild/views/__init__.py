"""The chart catalogue: for every chart, its published table and the figure built from it.

The dashboard's pages and the meeting pack both draw their charts from these entries, so
"the same numbers as on screen" is true by construction. An entry (`views.base.Entry`) has
two halves:

    table = entry.table(store, filters, protection)   # the indicator call, shaping, protection
    figure = entry.figure(table, context)              # the figure, from the table alone

plus its words (`caption` on screen, `notes` for speaker notes and the report, `alt_text`,
`display` for a page's table). Tables keep the protected-table convention (`antal` Int64
with <NA> where hidden, `undertryckt`, `visas`) and survive `serial.table_bytes` (Parquet),
so a stored edition can be drawn again later without querying live data; entries and
contexts have JSON forms (`Entry.spec`, `catalogue.from_spec`, `Context.to_dict`).

    base         Entry, Protection (a role's disclosure rule and merged categories), Source
                 (an indicator call), Context (what a figure says about itself)
    breakdowns   the one breakdown of each dimension per role (gender "Annat" with "Okänt")
    trends       Trend (Översikt, Trender, pack), QuartersAndYears (public pack)
    areas        DistrictMap, DistrictRanking, DistrictQuarters (Områden, pack)
    groups       Lens (Målgrupper), AgeGender (pack), Funnel (Målgrupper, pack)
    categories   Ranking per form or sector (pack)
    coverage     Coverage (Rapportering)
    followup     Trainings, ConcernsAndTraining (Uppföljning)
    keyfigures   the key figures in words (Översikt, pack)
    words        sentences about a table shared by captions and notes
    catalogue    every entry by key; `from_spec`
    serial       tables as Parquet bytes and back
"""

from lagesbild.views.areas import DistrictMap, DistrictQuarters, DistrictRanking
from lagesbild.views.base import Context, Entry, Protection, Source
from lagesbild.views.breakdowns import protection_for
from lagesbild.views.catalogue import ENTRIES, from_spec
from lagesbild.views.categories import Ranking
from lagesbild.views.coverage import Coverage
from lagesbild.views.followup import ConcernsAndTraining, Trainings
from lagesbild.views.groups import AgeGender, Funnel, Lens
from lagesbild.views.trends import QuartersAndYears, Trend

__all__ = [
    "ENTRIES", "AgeGender", "ConcernsAndTraining", "Context", "Coverage", "DistrictMap",
    "DistrictQuarters", "DistrictRanking", "Entry", "Funnel", "Lens", "Protection",
    "QuartersAndYears", "Ranking", "Source", "Trainings", "Trend", "from_spec",
    "protection_for",
]
