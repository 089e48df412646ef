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
    assert any("Discarded the restored changes: back to the base region." in m.value for m in again.sidebar.success)
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
    tab = at.query_params["draft"]
    tab = tab[0] if isinstance(tab, list) else tab
    again = session(draft=tab)  # a reload after the save reopens the saved version
    assert "Option A — version 2 by alice" in sidebar_words(again)
    assert "Reopened Option A version 2 as you left it at" in sidebar_words(again)
    again.sidebar.radio(key="page").set_value("Children's services").run()
    again.number_input(key="headroom_pct").set_value(7.0).run()  # a change after it, then a reload
    again = session(draft=tab)
    assert again.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.07)
    assert "Restored your unsaved changes from" in sidebar_words(again)
    again.sidebar.button(key="discard_draft").click().run()  # back to the version it was loaded from
    assert again.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    assert any("back to Option A version 2" in m.value for m in again.sidebar.success)


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


def test_a_draft_made_on_an_uploaded_region_offers_to_drop_what_this_region_lacks():
    tab = "uploadedregiondraft01"
    DraftStore(default_drafts_path()).put(
        f"tab:{tab}", Scenario(name="", edit_sites={"MK:NOT-IN-THE-BASE": {"dwellings": 300.0}},
                               assumptions={"headroom": 0.05}), None, unsaved=True, on_upload=True)
    at = session(draft=tab)
    assert not at.exception
    assert "Restored your unsaved changes from" in sidebar_words(at) and "uploaded region" in sidebar_words(at)
    warned = " ".join(w.value for w in at.warning)
    assert "1 edit(s) of the current scenario name what this region does not have" in warned, warned
    next(b for b in at.button if b.label.startswith("Drop the 1 edit(s)")).click().run()
    assert at.session_state["scenario"].edit_sites == {}
    assert at.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)


ROLES = """email,council_code,role
boss@region.gov.uk,*,admin
other@region.gov.uk,*,admin
"""
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x", "client_id": "c",
        "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def signed_in(email: str, page: str = "Overview") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page != "Overview":
        at.sidebar.radio(key="page").set_value(page).run()
    return at


def test_a_signed_in_users_draft_is_theirs_alone(tmp_path, monkeypatch):
    (tmp_path / "roles.csv").write_text(ROLES)
    monkeypatch.setenv("PLACEPLAN_ROLES", str(tmp_path / "roles.csv"))
    at = signed_in("boss@region.gov.uk", "Children's services")
    at.number_input(key="headroom_pct").set_value(5.0).run()
    assert "draft" not in at.query_params  # keyed by the user, not the URL
    assert signed_in("boss@region.gov.uk").session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    assert signed_in("other@region.gov.uk").session_state["scenario"].assumptions == {}


def test_a_link_opened_over_a_users_draft_offers_the_draft(tmp_path, monkeypatch, store_path):
    (tmp_path / "roles.csv").write_text(ROLES)
    monkeypatch.setenv("PLACEPLAN_ROLES", str(tmp_path / "roles.csv"))
    ScenarioStore(store_path, create=True).save(Scenario(name="Option A", assumptions={"headroom": 0.04}), "bob")
    at = signed_in("boss@region.gov.uk", "Children's services")
    at.number_input(key="headroom_pct").set_value(5.0).run()
    linked = AppTest.from_file(APP, default_timeout=120)
    linked.secrets["auth"] = AUTH
    linked.user = {"is_logged_in": True, "email": "boss@region.gov.uk"}
    linked.query_params["scenario"], linked.query_params["version"] = "Option A", "1"
    linked.run()
    assert linked.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.04)
    assert "You also have unsaved changes from" in sidebar_words(linked)
    linked.sidebar.button(key="restore_draft").click().run()
    assert linked.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    assert "Restored your unsaved changes" in sidebar_words(linked)


def test_an_unusable_drafts_file_is_said_once_and_never_stops_an_edit(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEPLAN_DRAFTS", str(tmp_path / "no such folder" / "drafts.sqlite"))
    at = session("Children's services")
    at.number_input(key="headroom_pct").set_value(5.0).run()
    assert not at.exception and at.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    said = " ".join(w.value for w in at.sidebar.warning)
    assert "not kept as a draft in this session" in said and str(tmp_path) not in said, said
    at.number_input(key="headroom_pct").set_value(6.0).run()
    assert at.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.06) and not at.sidebar.warning
