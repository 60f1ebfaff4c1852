"""Översikt: the latest complete quarter at a glance."""

from __future__ import annotations

import streamlit as st

from lagesbild.numbers import summary
from lagesbild.views import Trend
from lagesbild.views.keyfigures import EIGHT_QUARTERS, change_words, delta_text, spc_words
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


columns = st.columns(len(figures.figures))
for column, figure in zip(columns, figures.figures, strict=True):
    prev, year = figure.vs_previous, figure.vs_last_year
    with column.container(border=True):
        st.metric(
            figure.label, figure.display, delta=delta_text(prev),
            delta_color="orange" if prev.significant else "off",
            delta_description=f"mot {prev.base_quarter}", help=HELP.get(figure.key),
        )
        st.markdown(
            f"Mot föregående kvartal: **{change_words(prev)}**  \n"
            f"Mot {year.base_quarter} (samma kvartal i fjol): {delta_text(year) or '–'}, "
            f"**{change_words(year)}**  \n"
            f"{EIGHT_QUARTERS}: **{spc_words(figure.spc, with_comparison=False)}**"
        )

st.caption("Tydlig ökning eller minskning = statistiskt säkerställd (p < 0,05). Procent visas "
           "när jämförelsetalet är minst 10. Läs mer om metoden på sidan Om lägesbilden.")

st.subheader(f"Sammanfattning {quarter}")
sentences = state.call(summary.summarize, quarter, filters, disclosure)
st.markdown(" ".join(render.plain(s.text) for s in sentences) if sentences
            else "Inga rapporter.")

st.subheader("Utvecklingen per form av extremism")
render.show_view(Trend(by="form", multiples=True), filters)
