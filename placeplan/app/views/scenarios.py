"""Scenarios: save, load, delete (and undo a delete), compare, export and import.

Every save, delete and restore goes through the shared store, which judges a signed-in
user's changes against the *stored* latest version on the shared base region
(:mod:`placeplan.io.rights`); this page only shows what it decided.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import drafts, state
from placeplan.app.views import compare as compare_view
from placeplan.app.widgets import checked_upload, plain, show_problems, start_from_button
from placeplan.io.rights import EDIT_ROLES, council_to_record
from placeplan.io.scenario_file import export_scenario
from placeplan.io.store import (
    RefusedChangeError,
    ScenarioStore,
    StaleScenarioError,
    StoreBusyError,
    StoreError,
)
from placeplan.model.scenario import Scenario

BASE = "(base: no changes)"
CURRENT = "(current, unsaved)"


def page() -> None:
    st.header("Scenarios")
    try:
        db = state.store()
    except StoreError as exc:
        st.error(plain(str(exc)))
        st.info("Saved scenarios cannot be shown until the store is fixed; you can still export and import "
                "the current scenario as a file.")
        export_import()
        return
    st.caption(f"Shared store: {plain(db.path.name)}")
    if not save_form(db):
        return
    saved = stored(db.list) or []
    saved_list(db, saved)
    deleted_list(db)
    comparison(db, [v.name for v in saved])
    export_import()


def stored(action, *args, **kwargs):
    """Run one store call; show a plain message for every way it can be refused or fail
    (returns None then)."""
    try:
        return action(*args, **kwargs)
    except RefusedChangeError as exc:
        st.error("Not saved: " + plain("; ".join(exc.refused)) + ".")
    except StoreBusyError as exc:
        st.warning(plain(str(exc)))
    except (StaleScenarioError, StoreError) as exc:
        st.error(plain(str(exc)))
    except pp.ValidationError as exc:
        show_problems(exc)
    return None


def may_edit() -> bool:
    """Open mode, or a signed-in user with an editing role."""
    user = state.user()
    return user is None or any(role in EDIT_ROLES for _, role in user.grants)


def council_choices() -> list[str]:
    """Councils a save may be recorded under: the signed-in user's own (any, for a user of
    every council); every council in open mode."""
    codes = state.base_region().councils["council_code"].astype(str).tolist()
    user = state.user()
    if user is None:
        return [""] + codes
    return [c for c in [""] + codes if c == "" or council_to_record(state.base_region(), user, c)[1] is None]


def save_form(db: ScenarioStore) -> bool:
    """The save form; False when a viewer tried to save (the page stops there)."""
    s, loaded = state.scenario(), state.loaded()
    names = dict(zip(state.base_region().councils["council_code"].astype(str), state.base_region().councils["council"]))
    st.subheader("Save the current scenario")
    if state.Key.NEXT_SAVE_NAME in st.session_state:  # a scenario was opened: its name, not the last one typed
        st.session_state[state.Key.SAVE_NAME] = st.session_state.pop(state.Key.NEXT_SAVE_NAME)
    with st.form("save"):
        name = st.text_input("Name", value=s.name or (loaded or {}).get("name", ""), key=state.Key.SAVE_NAME)
        choices = council_choices()
        council = st.selectbox("Council", choices, key="save_council",
                               format_func=lambda c: names.get(c, c) if c else "(from your role)")
        note = st.text_input("Note (what changed and why)", key="save_note")
        if st.form_submit_button("Save"):
            user = state.user()
            if not may_edit():
                st.error(plain(f"{user.email} may view but not save scenarios (viewer role)."))
                return False
            named = dataclasses.replace(s, name=name.strip())
            expected = loaded["version"] if loaded and loaded["name"] == named.name else None
            who = user if user is not None else state.author()
            version = stored(db.save, named, who, council, note, expected_version=expected)
            if version is not None:
                author = user.email if user is not None else state.author()
                state.open_scenario(named, {"name": named.name, "version": version, "author": author})
                st.success(f"Saved '{plain(named.name)}' as version {version}.")
                share(named.name, version)
    return True


def share(name: str, version: int) -> None:
    """A saved version's share link, to copy: anyone with it opens that version (rights are checked at save)."""
    rel, full = drafts.share_link(name, version)
    st.caption(f"Link to {plain(name)} version {version} (anyone using this app can open it):")
    st.code(full or rel, language=None)
    if full:
        st.caption(f"Or, on this app's address: {plain(rel)}")


def saved_list(db: ScenarioStore, saved: list) -> None:
    st.subheader("Saved scenarios")
    if not saved:
        st.write("No saved scenarios yet.")
        return
    st.dataframe(pd.DataFrame([dataclasses.asdict(v) for v in saved]).drop(columns="deleted"), hide_index=True,
                 width="stretch")
    versions = {v.name: v for v in saved}
    c1, c2 = st.columns(2)
    pick = c1.selectbox("Scenario", list(versions), key="load_pick")
    if c1.button("Load", key="load_btn"):
        got = stored(db.load, pick)
        if got is not None:  # marked loaded only once it was read
            doc, v = got
            state.open_scenario(doc, {"name": v.name, "version": v.version, "author": v.author})
            st.rerun()
    if may_edit():
        shown = versions[pick].version
        if c2.button(f"Delete (version {shown})", key="delete_btn"):
            user = state.user()
            if stored(db.delete, pick, user if user is not None else (state.author() or "unknown"), shown) is not None:
                st.rerun()
    share(pick, versions[pick].version)


def deleted_list(db: ScenarioStore) -> None:
    """Deleted scenarios, each with Restore (undo the delete); history is never lost."""
    gone = stored(db.deleted) or []
    if not gone or not may_edit():
        return
    with st.expander(f"Deleted scenarios ({len(gone)}): restore one"):
        versions = {v.name: v for v in gone}
        pick = st.selectbox("Deleted scenario", list(versions), key="restore_pick")
        v = versions[pick]
        st.text(f"Deleted by {v.author} at {v.saved_at}")
        if st.button("Restore", key="restore_btn"):
            user = state.user()
            if stored(db.restore, pick, user if user is not None else (state.author() or "unknown"), v.version):
                st.rerun()


def comparison(db: ScenarioStore, names: list[str]) -> None:
    st.subheader("Compare two scenarios")
    options = [BASE, CURRENT] + names
    k1, k2 = st.columns(2)
    left = k1.selectbox("A", options, index=0, key="cmp_a")
    right = k2.selectbox("B", options, index=1, key="cmp_b")
    sa, sb = scenario_for(left, db), scenario_for(right, db)
    if sa is None or sb is None:
        return
    compare_view.section(sa, sb)


def scenario_for(option: str, db: ScenarioStore) -> Scenario | None:
    if option == BASE:
        return Scenario(name="base")
    if option == CURRENT:
        s = state.scenario()
        return dataclasses.replace(s, name=s.name or "current")
    got = stored(db.load, option)
    return None if got is None else got[0]


def export_import() -> None:
    s = state.scenario()
    st.subheader("Export and import")
    st.download_button("Export the current scenario (JSON)", export_scenario(s, state.loaded()).encode("utf-8"),
                       f"{(s.name or 'scenario').replace(' ', '_')}.json", "application/json", key="dl_scenario",
                       on_click="ignore")
    # the library's reader caps the file's size and nesting and checks every value
    checked = checked_upload("Import a scenario file", ["json"], "scenario_upload", "scenario")
    if checked is None or checked.scenario is None:
        return
    if checked.scenario.description:
        st.text(f"Description: {checked.scenario.description}")
    start_from_button(f"Use '{plain(checked.scenario.name)}' as the current scenario (not saved until you save it)",
                      "use_import", checked.scenario)
