import streamlit as st

st.title("om")
