"""Översikt: the latest complete quarter at a glance."""

from __future__ import annotations

import streamlit as st

from lagesbild.access import policy
from lagesbild.editions import revision as edition_revision
from lagesbild.numbers import summary
from lagesbild.views import Trend
from lagesbild.views.keyfigures import VERDICT, delta_text
from ui import render, selection, signin, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
quarter = filters.to_quarter
disclosure = view.disclosure()

st.title("Översikt")
st.markdown(f"Läget **{quarter}** jämfört med tidigare kvartal. Välj ett annat kvartal genom "
            "att ändra periodens slut i sidopanelen.")

approved = [v for v in policy.edition_versions(state.get_store(), signin.current_user(), quarter)
            if v.approved] if quarter else []
if approved:  # the quarter's approved lägesbild, and whether later data have revised it
    latest = approved[0]
    revision = state.call(edition_revision, quarter, latest.version)
    if revision is not None and revision.revised:
        st.warning(
            f"**Reviderad sedan fastställandet:** lägesbilden för {quarter} (version "
            f"{latest.version}, fastställd {latest.approved_on}) har ändrats av senare "
            "uppgifter. Skillnad per nyckeltal (skyddade siffror, fastställt → nu): "
            + "; ".join(render.plain(line) for line in (revision.key_lines()
                                                        or revision.lines()[:6]))
            + ". Se sidan Lägesbilder.", icon=":material/change_circle:")
    else:
        st.caption(f":material/verified: Lägesbilden för {quarter} är fastställd (version "
                   f"{latest.version}, {latest.approved_on}).")

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
            delta_color="orange" if figure.flag.flagged else "off",
            delta_description=f"mot {prev.base_quarter}", help=HELP.get(figure.key),
        )
        st.markdown(
            f"Mot föregående kvartal ({prev.base_quarter}): {prev.numbers()}  \n"
            f"Mot samma kvartal i fjol ({year.base_quarter}): {year.numbers()}  \n"
            f"{VERDICT}: **{summary.verdict(figure)}**"
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
render.show_view(Trend(by="form", multiples=True), filters)
