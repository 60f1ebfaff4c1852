import streamlit as st

st.title("rapportering")
