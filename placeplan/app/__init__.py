"""The browser app (Streamlit). Thin: every number comes from the library."""
