"""The model layer: pure functions and small dataclasses over numpy/pandas/geopandas.

Nothing here reads files or imports Streamlit.
"""
