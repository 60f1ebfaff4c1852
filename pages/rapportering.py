"""Rapportering: which partners have reported for which quarters, and the import history."""

from __future__ import annotations

import streamlit as st

from lagesbild import charts
from lagesbild.access import policy
from lagesbild.numbers import indicators as ind
from ui import render, selection, signin, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
disclosure = view.disclosure()
quarter = filters.to_quarter

st.title("Rapportering")
st.markdown("Vilka verksamheter som har lämnat rapporter för vilka kvartal. En verksamhet som "
            "har rapporterat tidigare men inte för ett kvartal markeras **saknas** – antalen "
            "för det kvartalet är då ofullständiga.")

missing = state.call(ind.missing_partners, quarter, filters)
if missing:
    st.warning(f"**Saknas för {quarter}:** {render.plain_list(missing)}. Påminn dem om att "
               "skicka "
               "in sina rapporter.", icon=":material/assignment_late:")
else:
    st.success(f"Alla verksamheter som brukar rapportera har lämnat rapporter för {quarter}.",
               icon=":material/task_alt:")

table = state.call(ind.coverage, filters, disclosure)
if table.empty:
    st.info("Inga rapporter i perioden.")
else:
    ctx = view.chart_context(filters)
    gaps = table[table["status"] == ind.MISSING][["kvartal", "verksamhet"]]
    grid = table[table["status"] == ind.DELIVERED]
    fig = charts.heatmap(
        grid, ctx, what="Rapporter per verksamhet och kvartal", x="kvartal", y="verksamhet",
        y_order=ind.category_order("verksamhet", list(table["verksamhet"])),
        colour_title="Rapporter", missing=gaps, missing_text="saknas",
    )
    render.show_chart(fig, table, "Rapporter per verksamhet och kvartal",
                      caption="Siffran är antalet rapporter (rader) verksamheten har lämnat "
                              "för kvartalet. Tom ruta: verksamheten har inte rapporterat "
                              "under de senaste fyra kvartalen, så inget väntas.")
    wide = table.pivot(index="verksamhet", columns="kvartal", values="visas")
    wide = wide.reindex(index=ind.category_order("verksamhet", list(wide.index)))
    wide = wide.fillna("")
    wide.index.name = "Verksamhet"
    with st.expander("Tabell: rapporter per verksamhet och kvartal"):
        render.show_table(wide.reset_index(), "Täckning per verksamhet", download=table)

st.subheader("Importhistorik")
st.caption("Alla importer, nyast först (bara läsning). Ångra en import med "
           "`lagesbild rollback NUMMER`.")
history = state.call(policy.import_history, signin.current_user())
if history.empty:
    st.info("Inga importer ännu.")
else:
    render.show_table(history, "Importhistorik", download=history)
