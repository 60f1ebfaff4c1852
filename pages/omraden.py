import streamlit as st

st.title("omraden")
