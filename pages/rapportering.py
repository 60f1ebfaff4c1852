"""Rapportering: which partners have reported for which quarters, and the import history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import charts
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import publish_count
from ui import render, state

state.ensure_entrypoint()

filters = state.current_filters()
disclosure = state.disclosure()
quarter = filters.to_quarter

st.title("Rapportering")
st.markdown("Vilka verksamheter som har lämnat rapporter för vilka kvartal. En verksamhet som "
            "har rapporterat tidigare men inte för ett kvartal markeras **saknas** – antalen "
            "för det kvartalet är då ofullständiga.")

missing = state.call(ind.missing_partners, quarter, filters)
if missing:
    st.warning(f"**Saknas för {quarter}:** {', '.join(missing)}. Påminn dem om att skicka "
               "in sina rapporter.", icon=":material/assignment_late:")
else:
    st.success(f"Alla verksamheter som brukar rapportera har lämnat rapporter för {quarter}.",
               icon=":material/task_alt:")

table = state.call(ind.coverage, filters, disclosure)
if table.empty:
    st.info("Inga rapporter i perioden.")
else:
    ctx = state.chart_context(filters)
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
batches = state.call(state.batches)
if not batches:
    st.info("Inga importer ännu.")
else:
    def shown(value: object) -> str:
        return publish_count(None if value is None else int(value), disclosure).display

    history = pd.DataFrame([{
        "Import": b["batch_id"],
        "Typ": b["kind"] + (" (demodata)" if b["is_demo"] else ""),
        "Fil": b["file_name"],
        "Importerad": f"{b['imported_at']:%Y-%m-%d %H:%M}" if b["imported_at"] else "",
        "Av": b["imported_by"],
        "Period": (f"{b['period_from']} – {b['period_to']}" if b["period_from"] else ""),
        "Verksamheter": b["partners"] or "",
        "Rader": shown(b["rows_total"]),
        "Nya": shown(b["rows_new"]),
        "Ändrade": shown(b["rows_changed"]),
        "Status": (f"Återställd {b['rolled_back_at']:%Y-%m-%d} av {b['rolled_back_by']}"
                   if b["rolled_back_at"] else "Gäller"),
    } for b in batches])
    render.show_table(history, "Importhistorik", download=history)
