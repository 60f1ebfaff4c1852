"""Rapportering: which partners have reported for which quarters, and the import history."""

from __future__ import annotations

import streamlit as st

from lagesbild.access import policy
from lagesbild.numbers import indicators as ind
from lagesbild.views import Coverage
from ui import render, selection, signin, state

state.ensure_entrypoint()

filters = selection.current_filters()
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

coverage = Coverage()
table = render.show_view(coverage, filters, empty="Inga rapporter i perioden.")
if table is not None:
    with st.expander("Tabell: rapporter per verksamhet och kvartal"):
        render.show_table(coverage.display(table), "Täckning per verksamhet", download=table)

st.subheader("Importhistorik")
st.caption("Alla importer, nyast först (bara läsning). Ångra en import med "
           "`lagesbild rollback NUMMER`.")
history = state.call(policy.import_history, signin.current_user())
if history.empty:
    st.info("Inga importer ännu.")
else:
    render.show_table(history, "Importhistorik", download=history)
