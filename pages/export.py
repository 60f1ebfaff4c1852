"""Export: the meeting pack (PowerPoint, PDF, Excel or chart images) in one click."""

from __future__ import annotations

import streamlit as st

from lagesbild.access import policy
from lagesbild.charts import describe_filters
from lagesbild.domain import config
from lagesbild.export import images
from lagesbild.export.files import pack_bytes
from lagesbild.export.pack import (
    CHARTS,
    DEFAULT_CHARTS,
    MIMES,
    PUBLIC_CHARTS,
    PackRequest,
    build_pack,
    pack_name,
)
from lagesbild.numbers.disclosure import NOTE
from ui import selection, signin, state

state.ensure_entrypoint()

FORMATS = {"PowerPoint": "pptx", "PDF-rapport": "pdf", "Excel (tabeller)": "xlsx",
           "Bilder (PNG i zip)": "png"}

st.title("Export")
st.markdown("Mötesunderlaget för ett kvartal – det sista i perioden – med samma urval och "
            "röjandekontroll som i lägesbilden: titelbild, sammanfattning, nyckeltal, ett "
            "diagram per bild (nyckeltalen i talaranteckningarna) och metod.")

filters = selection.current_filters()
quarters = selection.quarter_options(state.store_facts()["quarters"])
if not quarters:
    st.info("Det finns inga rapporter att exportera ännu.")
    st.stop()
start = filters.from_quarter if filters.from_quarter in quarters else quarters[0]
end = filters.to_quarter if filters.to_quarter in quarters else quarters[-1]
period = selection.period_slider(st, quarters, (start, end), key="export_period",
                                help="Mötet gäller periodens sista kvartal; trenderna visar "
                                     "hela perioden. Standard: perioden i sidopanelen.")
chosen_filters = filters.with_period(*period)
st.caption(f"Urval från sidopanelen: {describe_filters(filters) or 'alla rapporter'}.")

public = st.toggle("Publik variant för kommunens webbplats", key="export_public",
                   help="Bara övergripande indikatorer (per kvartal, år, form och stadsdel), "
                        "strängare röjandekontroll och stödlinjerna.")
exact = (not public and policy.sees_exact_counts(signin.current_user())
         and st.toggle("Exakta antal (internt, loggas)", key="export_exact",
                       help="Bara för analytikernas eget bruk. Utan det här valet har "
                            "underlaget beredningsgruppens skyddade siffror, som på mötet."))
rule = (config.settings().public_disclosure if public else
        None if exact else config.settings().disclosure)
options = [k for k, d in CHARTS.items() if d.public or not public]
charts = st.multiselect("Diagram", options, default=list(PUBLIC_CHARTS if public
                                                         else DEFAULT_CHARTS),
                        format_func=lambda k: CHARTS[k].label,
                        key=f"export_charts_{'publik' if public else 'intern'}")
label = st.segmented_control("Format", list(FORMATS), default="PowerPoint",
                             key="export_format") or "PowerPoint"
fmt = FORMATS[label]
needs_images = fmt != "xlsx"
if needs_images and not images.browser_available():
    st.error("Diagrambilder kräver webbläsaren Chromium på servern. Välj Excel eller be "
             "administratören installera Chromium.")

request = PackRequest(chosen_filters, tuple(charts), public, bool(exact))
file_name = pack_name(period[1], chosen_filters, public, fmt)
store = state.get_store()
user = signin.current_user()
active = "; ".join(f"{k}={','.join(v)}" for k, v in chosen_filters.active().items())
details = (f"{fmt}; period {period[0]}–{period[1]}; {active or 'alla rapporter'}; "
           f"diagram={','.join(charts)}{'; publik' if public else ''}")


def make() -> bytes:
    """Runs when the button is clicked (Streamlit calls it on its own thread)."""
    with policy.exporting(store, user, file_name, details, exact=request.exact):
        return pack_bytes(build_pack(store, request), fmt)


st.download_button(
    f"Skapa och ladda ner ({label})", data=make, file_name=file_name, mime=MIMES[fmt],
    type="primary", icon=":material/download:", on_click="ignore",
    disabled=not charts or (needs_images and not images.browser_available()),
)
st.caption(f"Filen {file_name} skapas när du klickar; det tar några sekunder. "
           + ("Exakta antal – bara för internt bruk." if rule is None else
              f"Antal under {rule.threshold} visas som <{rule.threshold}"
              + (f", övriga avrundas slumpvis till {rule.rounding}-tal. "
                 if rule.rounding > 1 else ". ") + NOTE))
if state.has_demo_data():
    st.warning("Databasen innehåller demodata: underlaget märks som syntetiskt.",
               icon=":material/science:")
