"""Who may change what: roles file, permission checks, and the app with sign-in."""

import pytest
from streamlit.testing.v1 import AppTest

import placeplan as pp
from placeplan.app.access import refused_edits
from placeplan.io.roles import User, read_roles, user_for
from placeplan.io.store import ScenarioStore
from placeplan.model.scenario import Scenario

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py")
MK_SITE, CB_SITE = "MK:BR30", "CB:CB/17/05977/BRWN"
ROLES = """email,council_code,role
mk.planner@mk.gov.uk,E06000042,planner
cb.places@cb.gov.uk,E06000056,childrens_services
cb.money@cb.gov.uk,E06000056,finance
boss@region.gov.uk,*,admin
"""


@pytest.fixture
def roles(tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text(ROLES)
    return read_roles(path)


def test_roles_file_problems_are_named(tmp_path):
    bad = tmp_path / "roles.csv"
    bad.write_text("email,council_code,role\nnot-an-email,E06000042,planner\na@b.c,,wizard\n")
    with pytest.raises(pp.ValidationError) as exc:
        read_roles(bad)
    msgs = [str(p) for p in exc.value.problems]
    assert "roles.csv, layer roles, row 2, column email: 'not-an-email' is not an email address" in msgs
    assert any("row 3, column role: 'wizard' is not one of" in m for m in msgs)
    assert any("row 3, column council_code: value is missing" in m for m in msgs)


def test_planner_edits_own_council_sites_only(demo_region, roles):
    planner = user_for("MK.Planner@mk.gov.uk", roles)
    base = Scenario()
    assert refused_edits(demo_region, base, Scenario(edit_sites={MK_SITE: {"dwellings": 500.0}}), planner) == []
    refused = refused_edits(demo_region, base, Scenario(edit_sites={CB_SITE: {"dwellings": 500.0}}), planner)
    assert refused == ["mk.planner@mk.gov.uk may not change site CB:CB/17/05977/BRWN of Central Bedfordshire "
                       "(needs the planner role for that council)"]
    assert refused_edits(demo_region, base, Scenario(remove_sites=[CB_SITE]), planner)
    add_cb = Scenario(add_sites=[{"site_id": "N", "council_code": "E06000056", "dwellings": 10.0, "easting": 1.0, "northing": 1.0}])
    assert refused_edits(demo_region, base, add_cb, planner)
    assert refused_edits(demo_region, base, Scenario(assumptions={"delay_years": 2}), planner) == []
    assert refused_edits(demo_region, base, Scenario(assumptions={"headroom": 0.05}), planner)


def test_childrens_services_and_finance(demo_region, roles):
    places, money = user_for("cb.places@cb.gov.uk", roles), user_for("cb.money@cb.gov.uk", roles)
    cb_area = demo_region.planning_areas.query("council_code == 'E06000056'")["planning_area_code"].iloc[0]
    mk_area = demo_region.planning_areas.query("council_code == 'E06000042'")["planning_area_code"].iloc[0]
    change = {"phase": "primary", "academic_year": 2018, "places": 210.0}
    assert refused_edits(demo_region, Scenario(), Scenario(capacity_changes=[{"planning_area_code": cb_area, **change}]), places) == []
    assert refused_edits(demo_region, Scenario(), Scenario(capacity_changes=[{"planning_area_code": mk_area, **change}]), places)
    assert refused_edits(demo_region, Scenario(), Scenario(assumptions={"headroom": 0.05}), places) == []
    cost = {"phase": "primary", "project_type": "expansion", "cost_per_place": 1.0}
    assert refused_edits(demo_region, Scenario(), Scenario(costs=[{"council_code": "E06000056", **cost}]), money) == []
    assert refused_edits(demo_region, Scenario(), Scenario(costs=[{"council_code": "E06000042", **cost}]), money)
    assert refused_edits(demo_region, Scenario(), Scenario(costs=[{"council_code": "E06000056", **cost}]), places)


def test_admin_and_unknown_users(demo_region, roles):
    boss = user_for("boss@region.gov.uk", roles)
    nobody = user_for("someone@else.org", roles)
    big = Scenario(edit_sites={CB_SITE: {"dwellings": 1.0}}, assumptions={"horizon": 10})
    assert refused_edits(demo_region, Scenario(), big, boss) == []
    assert len(refused_edits(demo_region, Scenario(), big, nobody)) == 2
    assert nobody.roles == {"viewer"}
    assert isinstance(boss, User) and boss.can("finance", "E06000055")


def signed_in(email: str | None, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))
    roles = tmp_path / "roles.csv"
    roles.write_text(ROLES)
    monkeypatch.setenv("PLACEPLAN_ROLES", str(roles))
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                          "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_asks_to_sign_in(tmp_path, monkeypatch):
    at = signed_in(None, tmp_path, monkeypatch)
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric  # nothing of the region is shown before sign-in


def test_app_refuses_another_councils_site_and_records_who_saved(tmp_path, monkeypatch):
    at = signed_in("mk.planner@mk.gov.uk", tmp_path, monkeypatch)
    assert any("Signed in as mk.planner@mk.gov.uk" in t.value for t in at.sidebar.text)
    at.sidebar.radio(key="page").set_value("Planning").run()
    at.selectbox(key="edit_site_id").set_value(CB_SITE).run()
    at.number_input(key=f"edit_site_dwellings_{CB_SITE}").set_value(5000)
    next(b for b in at.button if b.label == "Apply to the scenario").click().run()
    assert any("may not change site CB:CB/17/05977/BRWN of Central Bedfordshire" in e.value.replace("\\", "") for e in at.error)
    assert at.session_state["scenario"].edit_sites == {}
    at.selectbox(key="edit_site_id").set_value(MK_SITE).run()
    at.number_input(key=f"edit_site_dwellings_{MK_SITE}").set_value(900)
    next(b for b in at.button if b.label == "Apply to the scenario").click().run()
    assert at.session_state["scenario"].edit_sites[MK_SITE]["dwellings"] == 900
    at.sidebar.radio(key="page").set_value("Scenarios").run()
    at.text_input(key="save_name").input("MK plan")
    next(b for b in at.button if b.label == "Save").click().run()
    _, version = ScenarioStore(tmp_path / "store.sqlite").load("MK plan")
    assert version.author == "mk.planner@mk.gov.uk"


def test_app_viewer_cannot_save(tmp_path, monkeypatch):
    at = signed_in("reader@somewhere.org", tmp_path, monkeypatch)
    at.sidebar.radio(key="page").set_value("Scenarios").run()
    at.text_input(key="save_name").input("Nope")
    next(b for b in at.button if b.label == "Save").click().run()
    assert any("may view but not save" in e.value.replace("\\", "") for e in at.error)
    assert ScenarioStore(tmp_path / "store.sqlite").list() == []


def test_open_mode_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("Open mode: no sign-in is configured" in c.value for c in at.sidebar.caption)
