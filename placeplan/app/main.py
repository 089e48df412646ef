"""Streamlit entry point of the installed package: ``placeplan app`` runs this file."""

from placeplan.app.ui import main

main()
