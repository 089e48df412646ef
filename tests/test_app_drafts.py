"""Work is not lost (issue #14, item 6), driven with AppTest: drafts restored on a new
session, share links, and the sidebar's status right after a save."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from placeplan.io.drafts import DraftStore, default_drafts_path
from placeplan.io.store import ScenarioStore
from placeplan.model.scenario import Scenario

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.delenv("PLACEPLAN_DRAFTS", raising=False)
    return tmp_path / "store.sqlite"


def session(page: str = "Overview", **params) -> AppTest:
    """A new browser session (a reload or a fresh visit), with the URL's query parameters."""
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page != "Overview":
        at.sidebar.radio(key="page").set_value(page).run()
    return at


def sidebar_words(at: AppTest) -> str:
    return " ".join([t.value for t in at.sidebar.text] + [m.value for m in at.sidebar.markdown]
                    + [i.value for i in at.sidebar.info] + [c.value for c in at.sidebar.caption])


def test_a_change_survives_a_reload_and_can_be_discarded():
    at = session("Children's services")
    at.number_input(key="headroom_pct").set_value(5.0).run()
    tab = at.query_params["draft"]
    tab = tab[0] if isinstance(tab, list) else tab
    assert len(tab) >= 16
    fresh = session()  # a fresh visit (no draft id) starts from the base region
    assert fresh.session_state["scenario"].assumptions == {} and "Restored" not in sidebar_words(fresh)
    again = session(draft=tab)  # the reload
    assert again.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    assert "Restored your unsaved changes from" in sidebar_words(again)
    assert "1 change(s)" in sidebar_words(again)
    again.sidebar.button(key="discard_draft").click().run()
    assert again.session_state["scenario"].assumptions == {}
    assert "Restored" not in sidebar_words(again)
    assert "New scenario (not saved)" in sidebar_words(again)
    assert session(draft=tab).session_state["scenario"].assumptions == {}  # discarded for good


def test_sidebar_says_saved_and_the_new_version_at_once(store_path):
    at = session("Scenarios")
    at.sidebar.text_input(key="author").input("alice")
    at.session_state["scenario"] = Scenario(name="", assumptions={"headroom": 0.04})
    at.text_input(key="save_name").input("Option A")
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Option A — version 1 by alice" in sidebar_words(at) and "not saved" not in sidebar_words(at)
    at.session_state["scenario"] = Scenario(name="Option A", assumptions={"headroom": 0.05})
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Option A — version 2 by alice" in sidebar_words(at), sidebar_words(at)
    codes = [c.value for c in at.code]
    assert any(c.endswith("?scenario=Option+A&version=2") for c in codes), codes


def test_share_link_opens_that_version(store_path):
    db = ScenarioStore(store_path, create=True)
    db.save(Scenario(name="Option A", assumptions={"headroom": 0.04}), "bob")
    db.save(Scenario(name="Option A", assumptions={"headroom": 0.06}), "carol", expected_version=1)
    at = session(scenario="Option A", version="1")
    assert at.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.04)
    assert "Option A — version 1 by bob" in sidebar_words(at)
    assert not at.error
    assert not DraftStore(default_drafts_path()).__len__()  # opening a link is not unsaved work


@pytest.mark.parametrize("params, words", [
    ({"scenario": "Nope", "version": "1"}, "scenario 'Nope' version 1, which is not in the shared store"),
    ({"scenario": "Option A", "version": "9"}, "version 9, which is not in the shared store"),
    ({"scenario": "Option A", "version": "two"}, "a version is a whole number"),
])
def test_a_bad_link_says_so(store_path, params, words):
    ScenarioStore(store_path, create=True).save(Scenario(name="Option A", assumptions={"headroom": 0.04}), "bob")
    at = session(**params)
    assert any(words in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["scenario"].assumptions == {}


def test_a_damaged_draft_is_ignored_with_a_message():
    at = session("Children's services")
    at.number_input(key="headroom_pct").set_value(5.0).run()
    tab = at.query_params["draft"]
    tab = tab[0] if isinstance(tab, list) else tab
    import sqlite3

    with sqlite3.connect(default_drafts_path()) as c:
        c.execute("UPDATE drafts SET document = 'not json{'")
    again = session(draft=tab)
    assert not again.exception
    assert again.session_state["scenario"].assumptions == {}
    assert any("cannot be read back" in w.value for w in again.sidebar.warning)
