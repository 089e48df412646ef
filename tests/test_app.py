"""Every page of the app, driven with Streamlit's AppTest: renders, and edits change numbers."""

import dataclasses
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import placeplan as pp
from placeplan.app.display import HEADERS, header
from placeplan.io.store import ScenarioStore
from placeplan.model.scenario import Scenario

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py")
BIG_SITE = "CB:CB/17/05977/BRWN"  # RAF Henlow, 1,000 homes


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))
    return tmp_path / "store.sqlite"


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page != "Overview":
        at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _raw(shown: str) -> str:
    return shown.lower().replace(", ", "_").replace(" ", "_")


def frame_with(at: AppTest, column: str):
    """The first table showing ``column`` (by its name or its header for people), with
    headers mapped back to column names."""
    back = {v: k for k, v in HEADERS.items()}
    for df in at.dataframe:
        value = df.value
        if column in value.columns:
            return value
        if header(column) in value.columns:
            return value.rename(columns=lambda c: column if c == header(column) else back.get(c, _raw(c)))
    raise AssertionError(f"no table with {column}")


def test_overview_headlines_match_the_library(demo_region):
    at = open_page("Overview")
    sf = pp.forecast(demo_region).shortfall
    mk = sf[(sf["council"] == "Milton Keynes") & (sf["phase"] == "primary")]
    peak = mk.groupby("planning_area_code")["places_needed"].max().sum()
    values = [m.value for m in at.metric if m.label == "Primary places needed"]
    assert f"{peak:,.0f}" in values
    assert any("Open Government Licence v3.0" in c.value for c in at.caption)
    assert any("May 2015" in i.value for i in at.info)
    assert any("Data base year 2015" in c.value for c in at.caption)
    at.selectbox(key="map_phase").set_value("secondary").run()
    assert not at.exception


def test_planning_edit_changes_pupils_and_shortfall():
    at = open_page("Planning")
    at.selectbox(key="edit_site_id").set_value(BIG_SITE).run()
    assert at.number_input(key=f"edit_site_dwellings_{BIG_SITE}").value == 1000
    at.number_input(key=f"edit_site_dwellings_{BIG_SITE}").set_value(6000)
    at.number_input(key=f"edit_site_rate_{BIG_SITE}").set_value(600)
    next(b for b in at.button if b.label == "Apply to the scenario").click().run()
    assert not at.exception, [e.value for e in at.exception]
    s = at.session_state["scenario"]
    assert s.edit_sites[BIG_SITE]["dwellings"] == 6000
    effect = frame_with(at, "places_needed_change")
    cb = effect[effect["council"] == "Central Bedfordshire"]
    assert cb["pupils_forecast_change"].sum() > 100
    assert cb["places_needed_change"].sum() > 0


def test_planning_levers_delay_everything():
    at = open_page("Planning")
    at.number_input(key="lever_delay").set_value(20).run()
    effect = frame_with(at, "places_needed_change")
    # no area gains; a council whose pipeline is all netted off (Milton Keynes) loses nothing
    assert (effect["pupils_forecast_change"] <= 1e-9).all() and (effect["pupils_forecast_change"] < 0).any()


def test_planning_add_site_by_planning_area():
    at = open_page("Planning")
    at.text_input(key="add_id").input("NEW-1")
    at.number_input(key="add_dwellings").set_value(2000)
    at.radio(key="add_how").set_value("planning area")
    next(b for b in at.button if b.label == "Add to the scenario").click().run()
    assert not at.exception
    added = at.session_state["scenario"].add_sites
    assert added[0]["site_id"] == "NEW-1" and "planning_area_code" in added[0]
    # the same id again is refused with a message, and the scenario keeps one site
    next(b for b in at.button if b.label == "Add to the scenario").click().run()
    assert not at.exception
    assert any("problem" in e.value for e in at.error)
    problems = frame_with(at, "Message")
    assert problems["Message"].str.contains("added twice").any() and problems["Column"].eq("site_id").any()
    assert len(at.session_state["scenario"].add_sites) == 1


def every_figure(at: AppTest) -> AppTest:
    """Children's services with its table of every figure shown (a toggle: off, nothing is sent)."""
    return at.toggle(key="cs_every").set_value(True).run()


def test_childrens_services_headroom_changes_places_needed():
    at = every_figure(open_page("Children's services"))
    before = frame_with(at, "places_needed")["places_needed"].sum()
    at.number_input(key="headroom_pct").set_value(5.0).run()
    after = frame_with(at, "places_needed")["places_needed"].sum()
    assert after > before
    assert at.session_state["scenario"].assumptions["headroom"] == pytest.approx(0.05)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download shortfall (XLSX, with provenance)", "Download shortfall (CSV)"]


def test_childrens_services_capacity_change_via_scenario():
    at = every_figure(open_page("Children's services"))
    code = frame_with(at, "places_needed").query("places_needed > 0")["planning_area_code"].iloc[0]
    before = frame_with(at, "places_needed").query("planning_area_code == @code")["capacity"].max()
    s = at.session_state["scenario"]
    at.session_state["scenario"] = dataclasses.replace(
        s, capacity_changes=[{"planning_area_code": code, "phase": "primary" if code[3] == "0" else "secondary",
                              "academic_year": 2016, "places": 420.0, "project_type": "new_school"}])
    at.run()
    assert not at.exception
    after = frame_with(at, "places_needed").query("planning_area_code == @code")["capacity"].max()
    assert after == before + 420


def test_finance_cost_override_changes_the_gap():
    at = open_page("Finance")
    before = frame_with(at, "funding_gap")
    b = before.set_index("council").loc["Milton Keynes", "cost"]
    s = at.session_state["scenario"]
    at.session_state["scenario"] = dataclasses.replace(s, costs=[
        {"council_code": "E06000042", "phase": p, "project_type": t, "cost_per_place": 50_000.0, "location_factor": 1.0,
         "price_base": "2024/25"} for p in ("primary", "secondary") for t in ("expansion", "new_school")])
    at.run()
    after = frame_with(at, "funding_gap").set_index("council").loc["Milton Keynes", "cost"]
    assert after > b
    assert [d.label for d in at.get("download_button")] == ["Download funding (XLSX, with provenance)"]


def test_scenarios_save_load_and_stale_refusal(store_path):
    at = open_page("Scenarios")
    at.sidebar.text_input(key="author").input("alice")
    at.session_state["scenario"] = Scenario(name="", assumptions={"headroom": 0.04})
    at.text_input(key="save_name").input("Option A")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert any("Saved 'Option A' as version 1" in s.value for s in at.success)
    # Someone else saves version 2 meanwhile; alice's next save from version 1 is refused.
    ScenarioStore(store_path).save(Scenario(name="Option A", assumptions={"headroom": 0.06}), "bob", expected_version=1)
    at.session_state["scenario"] = Scenario(name="Option A", assumptions={"headroom": 0.03})
    next(b for b in at.button if b.label == "Save").click().run()
    assert any("changed by bob" in e.value for e in at.error)
    assert ScenarioStore(store_path).load("Option A")[0].assumptions["headroom"] == 0.06
    at.selectbox(key="load_pick").set_value("Option A")
    at.button(key="load_btn").click().run()
    assert at.session_state["scenario"].assumptions["headroom"] == 0.06
    assert at.session_state["loaded"]["version"] == 2


def test_scenarios_compare_shows_changes(store_path):
    ScenarioStore(store_path).save(Scenario(name="Bigger", edit_sites={BIG_SITE: {"dwellings": 5000.0, "build_rate": 500.0}}), "bob")
    at = open_page("Scenarios")
    at.selectbox(key="cmp_b").set_value("Bigger").run()
    words = [t.value for t in at.text]
    assert any(re.search(r"RAF Henlow.*: 1,000 → 5,000 dwellings", w) for w in words), words
    at.selectbox(key="cmp_council").set_value("Central Bedfordshire").run()
    places = frame_with(at, "places_needed_change")
    assert places["places_needed_change"].sum() > 0
    # per area and year, with a chart: the area changing most is picked first
    area = at.selectbox(key="cmp_area")
    biggest = places.loc[places["places_needed_change"].abs().idxmax(), "planning_area_code"]
    assert area.value == biggest and len(at.get("vega_lite_chart")) >= 2


def test_scenarios_compare_current_with_itself():
    at = open_page("Scenarios")
    at.selectbox(key="cmp_a").set_value("(current, unsaved)").run()
    assert not at.exception and not at.error
    assert any("same inputs" in m.value for m in at.markdown)


def test_childrens_services_ranges_fan_chart_and_export_columns():
    at = every_figure(open_page("Children's services"))
    at.number_input(key="mc_draws_cs").set_value(300)
    at.button(key="mc_run_cs").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame_with(at, "probability_short")
    assert {"pupils_p10", "pupils_p50", "pupils_p90", "places_needed_p90"} <= set(table.columns)
    assert (table["pupils_p10"] <= table["pupils_p90"]).all()
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_finance_funding_gap_range():
    at = open_page("Finance")
    at.number_input(key="mc_draws_fin").set_value(200)
    at.button(key="mc_run_fin").click().run()
    assert not at.exception
    t = frame_with(at, "funding_gap_total_p90")
    assert (t["funding_gap_total_p10"] <= t["funding_gap_total_p90"]).all()


def test_overview_probability_map():
    at = open_page("Overview")
    at.radio(key="map_measure").set_value("probability of shortfall").run()
    assert any("Compute the ranges" in i.value for i in at.info)
    at.number_input(key="mc_draws_map").set_value(200)
    at.button(key="mc_run_map").click().run()
    assert not at.exception and not any("Compute the ranges" in i.value for i in at.info)


def test_simultaneous_sessions_keep_their_own_results(demo_region):
    # sessions share the region and the forecast's caches; each keeps its own results
    from concurrent.futures import ThreadPoolExecutor

    multipliers = [0.4, 0.7, 1.3, 1.9]
    sessions = []
    for _ in multipliers:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["page"] = "Planning"
        sessions.append(at.run())

    def edit(pair):
        at, m = pair
        at.number_input(key="lever_ypri").set_value(m).run()
        return next(x.value for x in at.metric if x.label == "Bedford")

    with ThreadPoolExecutor(len(sessions)) as pool:
        shown = list(pool.map(edit, zip(sessions, multipliers)))
    for m, value in zip(multipliers, shown):
        sf = pp.forecast(demo_region, Scenario(assumptions={"yield_multipliers": {"primary": m}})).shortfall
        mk = sf[sf["council"] == "Bedford"]  # Milton Keynes' pipeline is netted off entirely
        assert value == f"{mk.groupby('planning_area_code')['places_needed'].max().sum():,.0f}", m
    assert len(set(shown)) == len(shown)


APP_PKG = __import__("pathlib").Path(__file__).resolve().parent.parent / "placeplan" / "app"


def test_pages_read_figures_and_uploads_from_the_library():
    # the upload a page runs is the one tests/test_edits.py checks, and no page does its
    # own arithmetic on forms of entry: those figures come from placeplan.model.summary
    import ast

    readers = {"read_sites", "load_region", "import_scenario", "with_sites", "read_tables"}
    for path in sorted(APP_PKG.rglob("*.py")):
        tree = ast.parse(path.read_text())
        assert len(path.read_text().splitlines()) <= 400, path.name
        if path.name in ("edits.py", "state.py"):  # check_upload, and the region's own loading
            continue
        calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                 for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert not calls & readers, path.name
        assert "file_uploader" not in calls or path.name == "widgets.py", path.name  # widgets.checked_upload only
        numbers = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert not numbers & {210, 150}, path.name


def test_sessions_share_one_forecast_per_scenario(monkeypatch):
    # the forecast is cached by the scenario's content, not kept per session
    calls = []
    real = pp.forecast

    def counted(region, scenario=None, *args, **kwargs):
        calls.append(None if scenario is None else scenario.name)
        return real(region, scenario, *args, **kwargs)

    monkeypatch.setattr(pp, "forecast", counted)
    shown = []
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["page"] = "Finance"
        at.run()
        at.session_state["scenario"] = Scenario(name="shared once", assumptions={"headroom": 0.031})
        at.run()
        assert not at.exception
        shown.append(frame_with(at, "funding_gap"))
    assert calls.count("shared once") == 1
    pd.testing.assert_frame_equal(shown[0], shown[1])


def test_finance_tables_name_councils_and_warnings_are_shown(demo_region):
    """Finance: every table names councils (codes last); the cost assumptions by council name,
    phase and project; the forecast's warnings shown beside the figures (Overview, Finance)."""
    at = open_page("Finance")
    for df in at.dataframe:
        cols = list(df.value.columns)
        if "Council code" in cols:
            assert "Council" in cols and cols.index("Council") < cols.index("Council code"), cols
            assert cols[-1].endswith("code"), cols
    (costs,) = at.get("data_editor")
    assert list(costs.value.columns[:3]) == ["council", "phase", "project_type"] and "Bedford" in set(costs.value["council"])
    # a region whose netting lacks a council's background rate: the warning names it, in words
    rates = demo_region.background_rates
    at.session_state["region"] = dataclasses.replace(demo_region, background_rates=rates[rates["council_code"] != "E06000042"])
    at.session_state["region_key"] = "test:no-mk-rate"
    at.run()
    assert not at.exception
    text = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert "Check before relying on the funding gaps" in text and "Milton Keynes" in text, text
    at.sidebar.radio(key="page").set_value("Overview").run()
    assert any("places needed and funding gaps above" in w.value for w in at.warning)


def test_xlsx_download_for_people(demo_region, tmp_path):
    """The app's XLSX: headers in words over £ and thousands formats, frozen; council names
    beside codes in every sheet; the scenario's changes in words beside the provenance."""
    import io

    import openpyxl

    from placeplan.app.widgets import changes_sheet, xlsx_bytes
    from placeplan.io.tables import results_tables

    s = Scenario(name="", assumptions={"headroom": 0.05}, remove_sites=["MK:BR33"])
    res = pp.forecast(demo_region, s)
    tables = results_tables(res, ("funding_gap", "contributions", "provenance"))
    tables["scenario changes"] = changes_sheet(demo_region, s)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(tables)))
    fg = wb["funding_gap"]
    head = [c.value for c in fg[1]]
    assert fg.freeze_panes == "A2" and "Funding gap" in head and "Council" in head
    assert fg.cell(2, head.index("Funding gap") + 1).number_format.startswith('"£"#,##0')
    con = wb["contributions"]
    head = [c.value for c in con[1]]
    assert head.index("Council") == head.index("Council code") + 1 and "Receiving council" in head
    words = [r[0].value for r in wb["scenario changes"].iter_rows(min_row=2)]
    assert "Headroom (operating margin): 2% → 5%" in words and any("removed" in w for w in words)
    assert changes_sheet(demo_region, Scenario(name=""))["change from the base region"].tolist() == [
        "none: the base region as it is"]
