import streamlit as st

st.title("start")
