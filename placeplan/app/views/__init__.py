"""One page per team; each draws from the session's state and the library's tables.

(Not called ``pages``: Streamlit would take a ``pages`` folder beside the entry script
``main.py`` for pages of its own navigation.)
"""
