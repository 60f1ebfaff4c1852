"""Kom igång: shown instead of the other pages while the database has no reports."""

from __future__ import annotations

import streamlit as st

from ui import state

state.ensure_entrypoint()

st.title("Välkommen till Lägesbild")
st.markdown(
    "Lägesbild samlar samverkanspartnernas avidentifierade rapporter om våldsbejakande "
    "extremism i Umeå till en gemensam lägesbild för UmeBrå och beredningsgruppen: trender, "
    "områden, målgrupper och vilka som har rapporterat."
)
st.info("**Databasen innehåller inga rapporter ännu.** Så snart den första filen är "
        "importerad visas översikten, trenderna och kartan här.", icon=":material/inbox:")

st.subheader("Så kommer du igång")
st.markdown("""
1. **Hämta mallen** som partnerna fyller i – en rad per rapport, inga personuppgifter:
""")
st.code("lagesbild template --out mall.xlsx", language="bash")
st.markdown("""
2. **Importera** de ifyllda filerna. Varje fil kontrolleras rad för rad; en fil med fel
   eller med personuppgifter nekas i sin helhet och du får veta vad som behöver rättas:
""")
st.code("lagesbild import rapporter_2026K3.xlsx\n"
        "lagesbild import *.xlsx --dry-run   # bara kontrollera", language="bash")
st.markdown("""
3. **Ladda om sidan.** En sida för att ladda upp filer direkt i webbläsaren kommer i en
   senare version.

DuckDB tillåter bara ett program åt gången: stoppa dashboarden medan du importerar från
kommandoraden, eller importera först och starta den sedan.

Vill du se hur lägesbilden ser ut med syntetiska exempeldata? Kör `lagesbild demo`.
""")
