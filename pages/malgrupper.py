import streamlit as st

st.title("malgrupper")
