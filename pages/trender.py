import streamlit as st

st.title("trender")
