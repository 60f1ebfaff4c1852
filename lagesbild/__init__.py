"""Lägesbild: the engine behind the joint situational picture of violent extremism.

Reading and validating partner spreadsheets, the DuckDB store, indicators with disclosure
control, charts and exports. Nothing in this package imports Streamlit.
"""

__version__ = "0.1.0"
