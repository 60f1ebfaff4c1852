"""Översikt: the latest complete quarter at a glance."""

from __future__ import annotations

import streamlit as st

from lagesbild import charts
from lagesbild.charts.events import event_legend
from lagesbild.domain.formatting import fmt_change, fmt_diff
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import summary
from lagesbild.numbers.events import events_for_period
from ui import render, selection, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
quarter = filters.to_quarter
disclosure = view.disclosure()

st.title("Översikt")
st.markdown(f"Läget **{quarter}** jämfört med tidigare kvartal. Välj ett annat kvartal genom "
            "att ändra periodens slut i sidopanelen.")

figures = state.call(summary.key_figures, quarter, filters, disclosure)
if figures.missing_partners:
    st.warning(
        f"**Rapporter saknas för {quarter}** från: {', '.join(figures.missing_partners)}. De "
        "har rapporterat tidigare men inte för det här kvartalet, så antalen kan bli högre när "
        "rapporterna kommer in.", icon=":material/assignment_late:")

HELP = {
    "totalt": "Alla rapporter i urvalet som gäller kvartalet.",
    "oro": "Orosrapporter: oro för att en person rör sig mot en våldsbejakande miljö.",
    "incident": "Konkreta händelser: propaganda, hot, skadegörelse, digital aktivitet m.m.",
    "konsultation": "Rapporter som har tagits upp i konsultationsforum.",
}


def delta_text(change: summary.Change) -> str | None:
    if change.percent is not None:
        return fmt_change(change.percent)
    if change.difference is not None:
        return fmt_diff(change.difference)
    return None


columns = st.columns(len(figures.figures))
for column, figure in zip(columns, figures.figures, strict=True):
    prev, year = figure.vs_previous, figure.vs_last_year
    with column.container(border=True):
        st.metric(
            figure.label, figure.display, delta=delta_text(prev),
            delta_color="orange" if figure.flag.flagged else "off",
            delta_description=f"mot {prev.base_quarter}", help=HELP.get(figure.key),
        )
        st.markdown(
            f"Mot föregående kvartal ({prev.base_quarter}): {prev.numbers()}  \n"
            f"Mot samma kvartal i fjol ({year.base_quarter}): {year.numbers()}  \n"
            f"Bedömning: **{summary.verdict(figure)}**"
        )

st.caption(summary.CHANGES_NOTE + " Metoden beskrivs på sidan Om lägesbilden.")
if figures.left_out:
    st.caption("Räknas inte med i jämförelserna (har inte rapporterat alla jämförda kvartal): "
               + render.plain_list(figures.left_out) + ".")

st.subheader(f"Sammanfattning {quarter}")
sentences = state.call(summary.summarize, quarter, filters, disclosure)
st.markdown(" ".join(render.plain(s.text) for s in sentences) if sentences
            else "Inga rapporter.")

st.subheader("Utvecklingen per form av extremism")
per_form = state.call(ind.trend, filters, "form", "antal", disclosure)
if per_form.empty:
    st.info("Inga rapporter i urvalet.")
else:
    ctx = view.chart_context(filters)
    breaks = sorted({q for q, note in zip(per_form["kvartal"], per_form["serieavbrott"],
                                          strict=True) if note})
    events = state.call(events_for_period, filters.from_quarter, filters.to_quarter)
    fig = charts.small_multiples(
        per_form, ctx, what="Rapporter per form av extremism", facet="form", value="varde",
        lower="nedre_grans", upper="ovre_grans", baseline="baslinje", signal="signal",
        breaks=breaks, y_title="Antal", events=events,
    )
    render.show_chart(
        fig, per_form, "Rapporter per form av extremism",
        caption="Grått band: det normala intervallet utifrån tidigare kvartal. "
                "Ring: ovanligt kvartal. Avbrott i linjen: under 5, visas inte.",
        events=event_legend(events),
    )
