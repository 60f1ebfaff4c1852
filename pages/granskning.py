"""Granskningslogg (analysts): who did what, when, with what outcome; newest first.

The log is append-only (lagesbild.store.audit); this page only reads it, through
lagesbild.access.policy.audit_entries, which refuses other roles and logs the refusal.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lagesbild.access import policy, roles
from ui import signin, state

state.ensure_entrypoint()

LIMIT = 5000
OUTCOME_LABELS = {"ok": "OK", "nekad": "Nekad", "fel": "Fel"}

store = state.get_store()
user = signin.current_user()
if not roles.can(user, "audit_log"):
    try:
        policy.require(user, "audit_log", store, "sidan Granskningslogg")
    except roles.AccessDenied as denied:
        st.error(str(denied), icon=":material/block:")
    st.stop()

st.title("Granskningslogg")
st.markdown("Varje inloggning, import, återställning, export och nekad åtgärd, med vem, när "
            "och utfall. Loggen kan inte ändras från lägesbilden.")

try:
    everything = policy.audit_entries(store, user)
except roles.AccessDenied as denied:
    st.error(str(denied), icon=":material/block:")
    st.stop()

ALL = "Alla"
c1, c2, c3, c4 = st.columns(4)
actors = sorted(set(everything["actor"].dropna())) if not everything.empty else []
actions = sorted(set(everything["action"].dropna())) if not everything.empty else []
actor = c1.selectbox("Vem", [ALL, *actors], key="audit_actor")
action = c2.selectbox("Händelse", [ALL, *actions], key="audit_action")
outcome = c3.selectbox("Utfall", [ALL, *policy.AUDIT_OUTCOMES], key="audit_outcome",
                       format_func=lambda o: OUTCOME_LABELS.get(o, o))
since = c4.date_input("Från och med", value=dt.date.today() - dt.timedelta(days=90),
                      format="YYYY-MM-DD", key="audit_since")

entries = policy.audit_entries(
    store, user, since=since or None, actor=None if actor == ALL else actor,
    action=None if action == ALL else action, outcome=None if outcome == ALL else outcome,
    limit=LIMIT)
if entries.empty:
    st.info("Inga händelser med det urvalet.", icon=":material/search_off:")
else:
    shown = entries.copy()
    shown["logged_at"] = shown["logged_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    shown = shown.astype(object).where(shown.notna(), "")
    shown["outcome"] = shown["outcome"].map(lambda o: OUTCOME_LABELS.get(o, o))
    shown = shown.rename(columns=policy.AUDIT_LABELS)[
        [policy.AUDIT_LABELS[c] for c in policy.AUDIT_COLUMNS]]
    st.caption(f"{len(shown)} händelser, senaste först"
               + (f" (de {LIMIT} senaste)" if len(shown) >= LIMIT else "") + ".")
    st.dataframe(shown, hide_index=True, width="stretch")
