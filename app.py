"""Streamlit entry point: ``streamlit run app.py`` (or ``placeplan app``) opens the demo region."""

from placeplan.app.ui import main

main()
