"""The shared scenario workspace: the sidebar, the footer and one page per team.

Thin by design: every page reads and writes the session's current scenario through
:mod:`placeplan.app.state` and shows tables and figures the library computes
(:mod:`placeplan.model.summary` for the figures a page sums up).
"""

from __future__ import annotations

import logging
import os

import streamlit as st

import placeplan as pp
from placeplan.app import edits, state
from placeplan.app.views import childrens_services, finance, overview, planning, scenarios
from placeplan.app.widgets import plain, show_problems
from placeplan.io.store import StoreError
from placeplan.model.scenario import Scenario

#: Page title -> the function that draws it.
PAGE_FUNCTIONS = {
    "Overview": overview.page,
    "Planning": planning.page,
    "Children's services": childrens_services.page,
    "Finance": finance.page,
    "Scenarios": scenarios.page,
}
PAGES = list(PAGE_FUNCTIONS)


def sidebar() -> str:
    st.sidebar.title("placeplan")
    default = st.query_params.get("page", "Overview")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(default) if default in PAGES else 0, key=state.Key.PAGE)
    s, loaded = state.scenario(), state.loaded()
    st.sidebar.markdown("**Scenario**")
    if loaded:
        st.sidebar.text(f"{loaded['name']} — version {loaded['version']} by {loaded['author']}")
    else:
        st.sidebar.write("New scenario (not saved)")
    n = len(s.add_sites) + len(s.remove_sites) + len(s.edit_sites) + len(s.capacity_changes) + len(s.costs) + len(s.assumptions) + len(s.trajectories)
    st.sidebar.caption(f"{n} change(s) from the base region")
    user = state.user()
    if user is None:
        st.sidebar.text_input("Your name (recorded with each save)", key=state.Key.AUTHOR, value=os.environ.get("USER", ""))
        st.sidebar.caption("Open mode: no sign-in is configured, so anyone using this app can edit and save.")
    else:
        st.sidebar.text(f"Signed in as {user.email}")
        st.sidebar.caption(plain("Roles: " + ", ".join(sorted(f"{r} ({c})" for c, r in user.grants))))
        st.sidebar.button("Log out", on_click=st.logout, key="logout")
    if st.sidebar.button("Reset to the base region", key="reset"):  # never refused: nothing is saved by it
        state.open_scenario(Scenario(name=""), None)
        st.rerun()
    return page


def edits_apply() -> bool:
    """False (with an offer to drop them) when the scenario edits what the session's region
    lacks, e.g. after a switch to another region: no page can forecast it as it is."""
    kept, dropped = edits.edits_not_applying(state.region(), state.scenario())
    if not dropped:
        return True
    st.warning(plain(f"{len(dropped)} edit(s) of the current scenario name what this region does not have: "
                     + "; ".join(dropped[:10]) + ("; …" if len(dropped) > 10 else "") + "."))
    if st.button(f"Drop the {len(dropped)} edit(s) that no longer apply", key="drop_stale_edits"):
        state.open_scenario(kept, state.loaded())  # changed in the session only, until the user saves it
        st.rerun()
    st.caption("Or use “Reset to the base region” in the sidebar to start again.")
    return False


def footer() -> None:
    meta = state.region().meta_dict
    st.divider()
    st.caption(plain(
        f"Data base year {meta.get('base_year', '?')} ({meta.get('base_census', '')}). "
        f"Sources: {meta.get('sources', 'not stated')}. Licence: {meta.get('licence', 'not stated')}. "
        f"placeplan {pp.__version__}."
    ))
    for line in str(meta.get("attribution", "")).split(" | "):
        if line:
            st.caption(plain(line))


def main() -> None:
    st.set_page_config(page_title="placeplan", page_icon="🏫", layout="wide")
    if state.auth_configured() and not st.user.is_logged_in:
        st.title("placeplan")
        st.write("Sign in to see and edit the region's school place planning.")
        st.button("Log in", on_click=st.login, key="login")
        st.stop()
    state.set_user(state.signed_in_user())
    roles_problems = state.roles_problems()
    if roles_problems is not None:
        st.error("The roles file cannot be read, so everyone may only view until it is fixed "
                 "(tell whoever runs the app):")
        show_problems(roles_problems)
    page = sidebar()
    for message in state.pop_refused():
        st.error(f"Not changed: {plain(message)}.")
    confirmed = state.pop_confirmed()
    if confirmed:
        shown = confirmed[:8] + ([f"and {len(confirmed) - 8} more change(s)"] if len(confirmed) > 8 else [])
        st.success(plain("Changed: " + "; ".join(shown) + ". Not saved yet: save it on the Scenarios page."), icon="✅")
    try:
        if edits_apply():
            PAGE_FUNCTIONS[page]()
    except pp.ValidationError as exc:
        show_problems(exc)
    except StoreError as exc:  # the scenario store is missing, damaged, read-only or busy: say what to do
        st.error(plain(str(exc)))
    except Exception as exc:  # a user sees a message, never a traceback; the log keeps it
        logging.getLogger("placeplan.app").exception("page %s failed", page)
        st.error(plain(f"Something went wrong on this page ({type(exc).__name__}: {exc}). Your scenario is unchanged; "
                       "please report what you did."))
    footer()


__all__ = ["PAGES", "main"]
