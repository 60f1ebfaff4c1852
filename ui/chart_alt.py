"""A chart's text alternative (WCAG 1.1.1): its key figures as a short Swedish sentence right
under it, and its data as a real HTML table (<table>, <caption>, <th scope>) in an expander
"Visa som tabell", reachable by keyboard and read by screen readers. ui.render.show_chart
draws it for every chart; the sentence and the table come from the catalogue entry
(`Entry.summary`, `Entry.alt_table`: the same protected values as the chart, "<5", "..").

st.dataframe draws on a canvas (nothing for a screen reader) and st.table reads every cell
as Markdown, has no <caption> and no row headings, so the table is written here with st.html,
every text escaped (cells may be analysts' free text).
"""

from __future__ import annotations

import html
from numbers import Number

import pandas as pd
import streamlit as st

from lagesbild.domain.formatting import MISSING, fmt_number
from lagesbild.domain.text import literal_markdown

SHOW_TABLE = "Visa som tabell"
_STYLE = """<style>
.lb-alt table { border-collapse: collapse; font-size: 0.875rem; margin: 0.25rem 0 0.5rem;
  min-width: min(24rem, 100%); }
.lb-alt caption { text-align: left; font-weight: 600; padding: 0 0 0.35rem; }
.lb-alt th, .lb-alt td { border-bottom: 1px solid #d5d5d5; padding: 0.25rem 0.75rem 0.25rem 0;
  text-align: left; vertical-align: top; }
.lb-alt thead th { border-bottom: 2px solid #555; }
.lb-alt .num { text-align: right; font-variant-numeric: tabular-nums; }
</style>"""


def cell_text(value: object) -> str:
    """A cell as Swedish text: 1 234 (no-break space), 12,5; missing as '–'."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return MISSING
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, Number):
        number = float(value)  # type: ignore[arg-type]
        return fmt_number(number, 0 if number.is_integer() else 1)
    return str(value)


def _numeric(column: pd.Series) -> bool:
    """Numbers, or the protected marks between them ('<5', '..'): right-aligned."""
    text = column.map(cell_text).astype("string")
    return bool(len(text)) and bool(
        text.str.fullmatch(r"[\d\s\u00a0\u202f.,%+±−-]+|<\d+|\.\.|–|").all())


def table_html(title: str, table: pd.DataFrame) -> str:
    """The table as HTML: <caption> = title, <th scope="col"> headings, the first column as
    <th scope="row">. Every text is escaped."""
    esc = html.escape
    numeric = [_numeric(table[c]) for c in table.columns]
    head = "".join(f'<th scope="col"{" class=num" if num and i else ""}>{esc(str(c))}</th>'
                   for i, (c, num) in enumerate(zip(table.columns, numeric, strict=True)))
    rows = []
    for record in table.itertuples(index=False, name=None):
        cells = [f'<th scope="row">{esc(cell_text(value))}</th>' if i == 0 else
                 f'<td{" class=num" if numeric[i] else ""}>{esc(cell_text(value))}</td>'
                 for i, value in enumerate(record)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="lb-alt"><table><caption>{esc(title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def chart_alternative(title: str, sentence: str, table: pd.DataFrame) -> None:
    """Under a chart: the sentence (shown literally) and the expander with the table."""
    if sentence:
        st.markdown(literal_markdown(sentence))
    with st.expander(SHOW_TABLE, icon=":material/table:"):
        st.html(_STYLE + table_html(title, table))
