"""Scenarios: save, load, delete, compare, export and import the current scenario."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.app.views import compare as compare_view
from placeplan.app.widgets import checked_upload, plain, show_problems, start_from_button
from placeplan.io.store import ScenarioStore, StaleScenarioError, export_scenario
from placeplan.model.scenario import Scenario

BASE = "(base: no changes)"
CURRENT = "(current, unsaved)"


def page() -> None:
    db = state.store()
    st.header("Scenarios")
    st.caption(f"Shared store: {db.path}")
    if not save_form(db):
        return
    saved = db.list()
    saved_list(db, saved)
    comparison(db, [v.name for v in saved])
    export_import()


def save_form(db: ScenarioStore) -> bool:
    """The save form; False when a viewer tried to save (the page stops there)."""
    reg, s, loaded = state.region(), state.scenario(), state.loaded()
    st.subheader("Save the current scenario")
    with st.form("save"):
        name = st.text_input("Name", value=s.name or (loaded or {}).get("name", ""), key="save_name")
        council = st.selectbox("Council", [""] + reg.councils["council"].tolist(), key="save_council")
        note = st.text_input("Note (what changed and why)", key="save_note")
        if st.form_submit_button("Save"):
            author = state.author()
            named = dataclasses.replace(s, name=name.strip())
            user = state.user()
            if user is not None and user.roles <= {"viewer"}:
                st.error(plain(f"{user.email} may view but not save scenarios (viewer role)."))
                return False
            expected = loaded["version"] if loaded and loaded["name"] == named.name else None
            try:
                version = db.save(named, author, council, note, expected_version=expected)
            except StaleScenarioError as exc:
                st.error(plain(str(exc)))
            except pp.ValidationError as exc:
                show_problems(exc)
            else:
                state.set_loaded({"name": named.name, "version": version, "author": author})
                state.set_scenario(named)
                st.success(f"Saved '{plain(named.name)}' as version {version}.")
    return True


def saved_list(db: ScenarioStore, saved: list) -> None:
    st.subheader("Saved scenarios")
    if not saved:
        st.write("No saved scenarios yet.")
        return
    st.dataframe(pd.DataFrame([dataclasses.asdict(v) for v in saved]).drop(columns="deleted"), hide_index=True,
                 width="stretch")
    c1, c2 = st.columns(2)
    pick = c1.selectbox("Scenario", [v.name for v in saved], key="load_pick")
    if c1.button("Load", key="load_btn"):
        doc, v = db.load(pick)
        state.set_loaded({"name": v.name, "version": v.version, "author": v.author})
        state.set_scenario(doc)
        st.rerun()
    if c2.button("Delete", key="delete_btn"):
        try:
            db.delete(pick, state.author() or "unknown")
        except StaleScenarioError as exc:
            st.error(plain(str(exc)))
        else:
            st.rerun()


def comparison(db: ScenarioStore, names: list[str]) -> None:
    st.subheader("Compare two scenarios")
    options = [BASE, CURRENT] + names
    k1, k2 = st.columns(2)
    left = k1.selectbox("A", options, index=0, key="cmp_a")
    right = k2.selectbox("B", options, index=1, key="cmp_b")
    sa, sb = scenario_for(left, db), scenario_for(right, db)
    compare_view.section(sa, sb)


def scenario_for(option: str, db: ScenarioStore) -> Scenario:
    if option == BASE:
        return Scenario(name="base")
    if option == CURRENT:
        s = state.scenario()
        return dataclasses.replace(s, name=s.name or "current")
    return db.load(option)[0]


def export_import() -> None:
    s = state.scenario()
    st.subheader("Export and import")
    st.download_button("Export the current scenario (JSON)", export_scenario(s, state.loaded()).encode("utf-8"),
                       f"{(s.name or 'scenario').replace(' ', '_')}.json", "application/json", key="dl_scenario",
                       on_click="ignore")
    checked = checked_upload("Import a scenario file", ["json"], "scenario_upload", "scenario")
    if checked is None or checked.scenario is None:
        return
    start_from_button(f"Use '{checked.scenario.name}' as the current scenario (not saved until you save it)",
                      "use_import", checked.scenario)
