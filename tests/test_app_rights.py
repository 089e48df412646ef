"""Rights and faults through the app's pages (issue #15), signed-in users simulated with
AppTest as tests/test_access.py does; the store judges every save and delete."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import placeplan as pp
from placeplan.io.roles import read_roles, user_for
from placeplan.io.store import ScenarioStore
from placeplan.model.scenario import Scenario

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BED_SITE, MK_SITE = "BED:05/00598/FUL", "MK:BR30"
BED, MK = "E06000055", "E06000042"
ROLES = """email,council_code,role
mk.planner@mk.gov.uk,E06000042,planner
mk.places@mk.gov.uk,E06000042,childrens_services
bed.planner@bedford.gov.uk,E06000055,planner
boss@region.gov.uk,*,admin
"""
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x", "client_id": "c",
        "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


@pytest.fixture
def paths(tmp_path, monkeypatch):
    store, roles = tmp_path / "store.sqlite", tmp_path / "roles.csv"
    roles.write_text(ROLES)
    monkeypatch.setenv("PLACEPLAN_STORE", str(store))
    monkeypatch.setenv("PLACEPLAN_ROLES", str(roles))
    return store, roles


def as_user(email: str, page: str = "Scenarios") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def errors(at: AppTest) -> str:
    return " ".join(e.value.replace("\\", "") for e in at.error)


def bedford_store(store: Path, demo_region) -> ScenarioStore:
    db = ScenarioStore(store, create=True, base=demo_region)
    bed = user_for("bed.planner@bedford.gov.uk", read_roles(store.parent / "roles.csv"))
    db.save(Scenario(name="Joint plan", edit_sites={BED_SITE: {"dwellings": 4000.0}}), bed)
    return db


def test_load_is_never_refused_and_saving_over_is_judged_by_the_store(paths, demo_region):
    """The issue's refused-Load-then-Save: Load now opens anything; a save that drops Bedford's
    change from the stored version is refused by the store (not by the session)."""
    db = bedford_store(paths[0], demo_region)
    at = as_user("mk.planner@mk.gov.uk")
    at.selectbox(key="load_pick").set_value("Joint plan").run()
    button(at, "Load").click().run()
    assert not at.error and not at.exception
    assert at.session_state["scenario"].edit_sites == {BED_SITE: {"dwellings": 4000.0}}
    assert at.session_state["loaded"]["version"] == 1
    # the session's scenario without Bedford's change, still marked as loaded from version 1
    at.session_state["scenario"] = Scenario(name="Joint plan")
    at.run()
    at.text_input(key="save_name").input("Joint plan")
    button(at, "Save").click().run()
    assert "may not change site BED:05/00598/FUL of Bedford" in errors(at)
    assert db.load("Joint plan")[1].version == 1
    # saving it unchanged is not a change of Bedford's: allowed, recorded under MK
    at.session_state["scenario"] = db.load("Joint plan")[0]
    at.run()
    button(at, "Save").click().run()
    assert not at.error, errors(at)
    v = db.load("Joint plan")[1]
    assert (v.version, v.author, v.council) == (2, "mk.planner@mk.gov.uk", MK)


def test_an_uploaded_relabelled_region_does_not_defeat_the_store(paths, demo_region):
    """An MK planner whose session works on sites relabelled as MK's, and MK children's
    services importing -630 places in Bedford's area: both refused at save."""
    db = ScenarioStore(paths[0], create=True, base=demo_region)
    at = as_user("mk.planner@mk.gov.uk")
    relabelled = demo_region.replace(sites=demo_region.sites.assign(council_code=MK))
    at.session_state["region"], at.session_state["region_key"] = relabelled, "upload:relabelled"
    at.session_state["scenario"] = Scenario(name="Zero", edit_sites={BED_SITE: {"dwellings": 0.0}})
    at.run()
    at.text_input(key="save_name").input("Zero")
    button(at, "Save").click().run()
    assert "may not change site BED:05/00598/FUL of Bedford" in errors(at)
    places = as_user("mk.places@mk.gov.uk")
    cut = {"planning_area_code": "8220001", "phase": "primary", "academic_year": 2020, "places": -630.0,
           "project_type": "removal", "description": ""}
    places.session_state["scenario"] = Scenario(name="Cut", capacity_changes=[cut])
    places.run()
    places.text_input(key="save_name").input("Cut")
    button(places, "Save").click().run()
    assert "may not change capacity in planning area 8220001 of Bedford" in errors(places)
    assert db.list() == []


def test_delete_is_for_editors_with_the_version_shown_and_can_be_undone(paths, demo_region):
    db = bedford_store(paths[0], demo_region)
    viewer = as_user("reader@somewhere.org")
    assert not [b for b in viewer.button if b.label.startswith("Delete")]
    mk = as_user("mk.planner@mk.gov.uk")
    mk.selectbox(key="load_pick").set_value("Joint plan").run()
    button(mk, "Delete (version 1)").click().run()
    assert "may not change site BED:05/00598/FUL of Bedford" in errors(mk)
    assert [v.name for v in db.list()] == ["Joint plan"]
    bed = as_user("bed.planner@bedford.gov.uk")
    button(bed, "Delete (version 1)").click().run()
    assert db.list() == [] and [v.name for v in db.deleted()] == ["Joint plan"]
    assert "No saved scenarios yet." in [m.value for m in bed.markdown]
    bed.selectbox(key="restore_pick").set_value("Joint plan").run()
    button(bed, "Restore").click().run()
    assert not bed.error, errors(bed)
    doc, v = db.load("Joint plan")
    assert v.version == 3 and doc.edit_sites == {BED_SITE: {"dwellings": 4000.0}}


def test_the_council_is_chosen_among_the_users_own(paths, demo_region):
    ScenarioStore(paths[0], create=True, base=demo_region)
    mk = as_user("mk.planner@mk.gov.uk")
    assert mk.selectbox(key="save_council").options == ["(from your role)", "Milton Keynes"]
    boss = as_user("boss@region.gov.uk")
    assert len(boss.selectbox(key="save_council").options) == 1 + len(demo_region.councils)


def test_add_a_site_across_a_border_needs_both_councils(paths, demo_region):
    ScenarioStore(paths[0], create=True, base=demo_region)
    at = as_user("mk.planner@mk.gov.uk", "Planning")
    at.text_input(key="add_id").input("NEW1")
    at.selectbox(key="add_council").set_value(MK)
    at.radio(key="add_how").set_value("planning area")
    at.selectbox(key="add_area").set_value("8220001")
    button(at, "Add to the scenario").click().run()
    assert "may not change site NEW1 of Bedford" in errors(at)
    assert at.session_state["scenario"].add_sites == []
    boss = as_user("boss@region.gov.uk", "Planning")
    boss.text_input(key="add_id").input("NEW1")
    boss.selectbox(key="add_council").set_value(MK)
    boss.radio(key="add_how").set_value("planning area")
    boss.selectbox(key="add_area").set_value("8220001")
    button(boss, "Add to the scenario").click().run()
    assert [s["site_id"] for s in boss.session_state["scenario"].add_sites] == ["NEW1"]


def test_a_roles_file_typo_is_named_and_everyone_may_only_view(paths, demo_region):
    ScenarioStore(paths[0], create=True, base=demo_region)
    paths[1].write_text("email,council_code,role\nmk.planner@mk.gov.uk,E06000042,planer\n")
    at = as_user("mk.planner@mk.gov.uk")
    assert "The roles file cannot be read" in errors(at)
    shown = at.dataframe[0].value
    assert shown.iloc[0]["File"] == "roles.csv" and shown.iloc[0]["Row"] == 2 and "planer" in shown.iloc[0]["Message"]
    assert str(paths[1].parent) not in at.dataframe[0].value.to_string()
    at.text_input(key="save_name").input("Nope")
    button(at, "Save").click().run()
    assert "may view but not save" in errors(at)


@pytest.mark.parametrize("fault, says", [
    ("missing", "There is no scenario store at the scenario store 'store.sqlite'"),
    ("text", "is not a scenario store (not an SQLite database)"),
    ("foreign", "is an SQLite database of something else"),
])
def test_a_broken_store_is_explained_without_its_path(paths, monkeypatch, fault, says):
    store = paths[0]
    monkeypatch.setenv("PLACEPLAN_STORE_CREATE", "0")
    if fault == "text":
        store.write_text("hello")
    elif fault == "foreign":
        with sqlite3.connect(store) as db:
            db.execute("CREATE TABLE people (name TEXT)")
    at = as_user("mk.planner@mk.gov.uk")
    assert says in errors(at)
    assert str(store.parent) not in errors(at)
    assert [b for b in at.button if b.label.startswith("Export")] or at.get("download_button")


def test_a_locked_store_says_busy_and_nothing_was_saved(paths, demo_region):
    db = ScenarioStore(paths[0], create=True, base=demo_region)
    at = as_user("mk.planner@mk.gov.uk")
    at.text_input(key="save_name").input("Mine")
    holder = sqlite3.connect(paths[0], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        button(at, "Save").click().run()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert any("is busy" in w.value.replace("\\", "") and "Nothing was saved" in w.value for w in at.warning)
    assert db.list() == []
    button(at, "Save").click().run()
    assert [v.name for v in db.list()] == ["Mine"]
    assert isinstance(db, ScenarioStore) and pp.__version__


def test_a_region_without_an_edited_site_offers_to_drop_the_edits(paths, demo_region):
    """The issue's region switch: no FragmentHandledException; Drop and Reset both work."""
    at = as_user("mk.planner@mk.gov.uk", "Planning")
    at.selectbox(key="edit_site_id").set_value(MK_SITE).run()
    at.number_input(key=f"edit_site_dwellings_{MK_SITE}").set_value(900)
    button(at, "Apply to the scenario").click().run()
    assert MK_SITE in at.session_state["scenario"].edit_sites
    at.session_state["scenario"] = Scenario(name="", edit_sites={MK_SITE: {"dwellings": 900.0}},
                                            capacity_changes=[{"planning_area_code": "8220001", "phase": "primary",
                                                               "academic_year": 2020, "places": 30.0}])
    smaller = demo_region.replace(sites=demo_region.sites[demo_region.sites["site_id"] != MK_SITE])
    at.session_state["region"], at.session_state["region_key"] = smaller, "upload:smaller"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert "1 edit(s) of the current scenario name what this region does not have: edit of site MK:BR30" in text
    assert "FragmentHandledException" not in errors(at) and "Something went wrong" not in errors(at)
    button(at, "Drop the 1 edit(s)").click().run()
    assert not at.exception and not at.warning
    s = at.session_state["scenario"]
    assert s.edit_sites == {} and len(s.capacity_changes) == 1
    assert at.metric  # the Planning page is drawn again
    at.session_state["scenario"] = Scenario(name="", remove_sites=[MK_SITE])
    at.run()
    assert at.warning
    at.sidebar.button(key="reset").click().run()
    assert not at.exception and not at.warning and at.session_state["scenario"] == Scenario(name="")


@pytest.mark.parametrize("text, shown", [
    ("Open Government Licence v3.0 (2011).", "Open Government Licence v3.0 (2011)."),
    ("![x](http://e.example/i.png)", "!\\[x\\](http:\u2060//e.example/i.png)"),
    ("<script>x</script> **b** $m$ :red[c] www.e.example",
     r"\<script\>x\</script\> \*\*b\*\* \$m\$ :red\[c\] " + "www\u2060.e.example"),
    ("# h\n- l\n 3. n", "\\# h\n\\- l\n 3\\. n"),
])
def test_plain_escapes_markup_and_keeps_punctuation(text, shown):
    from placeplan.app.widgets import plain

    assert plain(text) == shown
