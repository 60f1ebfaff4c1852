"""Streamlit-side helpers of the dashboard: state and filters, navigation, rendering."""
