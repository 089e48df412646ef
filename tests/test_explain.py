"""Show the calculation: the parts of each explained figure add up to it (issue #14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import placeplan as pp
from placeplan.model.explain import explain_area, explain_council, explain_site
from placeplan.model.forecast import forecast_arrays
from placeplan.testing import tiny_region


def _tiny(headroom: float, dwellings: float, rate: float, share: float, change: float):
    from placeplan.testing import tiny_frames

    frames = tiny_frames()
    sites = frames["sites"].copy()
    sites["dwellings"], sites["build_rate"] = dwellings, rate
    flows = pd.DataFrame([{"from_planning_area": "PA1", "to_planning_area": "PB1", "phase": "primary", "share": share},
                          {"from_planning_area": "SB1", "to_planning_area": "SA1", "phase": "secondary", "share": share}])
    changes = pd.DataFrame([{"planning_area_code": "PA1", "phase": "primary", "academic_year": 2017, "places": change}])
    region = tiny_region(sites=sites, flows=flows, capacity_changes=changes)
    return region, region.assumptions().replace(headroom=headroom)


def _adds_up(e, places_needed: float) -> None:
    assert e.total == pytest.approx(float(e.parts["value"].sum()))
    assert max(0.0, e.total) == pytest.approx(places_needed, abs=1e-6)
    assert e.value == pytest.approx(places_needed, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.floats(0, 0.1), st.floats(0, 2000), st.floats(1, 500), st.floats(0, 0.9), st.floats(-100, 300),
       st.sampled_from(["PA1", "PB1", "SA1", "SB1"]), st.integers(2015, 2019))
def test_area_parts_add_up_to_places_needed_on_the_tiny_region(headroom, dwellings, rate, share, change, area, year):
    region, a = _tiny(headroom, dwellings, rate, share, change)
    x = forecast_arrays(region, a)
    e = explain_area(region, a, x, area, year)
    j, t = list(x.idx.areas).index(area), list(x.idx.years).index(year)
    _adds_up(e, float(x.shortfall.places_needed[j, t]))
    steps = e.steps().set_index("step")["value"]
    pupils = sum(steps.get(s, 0.0) for s in steps.index if "pupils" in s)
    assert pupils == pytest.approx(float(x.shortfall.pupils[j, t]))
    assert -steps["capacity"] == pytest.approx(float(x.shortfall.capacity[j, t]))


def test_tiny_area_hand_calculation():
    # Aville primary, 2017/18: 200 baseline pupils; capacity 210 + 30 from 2017; headroom 2%
    region, a = _tiny(0.02, 200.0, 100.0, 0.5, 30.0)
    e = explain_area(region, a, forecast_arrays(region, a), "Aville primary", "2017/18")
    steps = e.steps().set_index("step")["value"]
    assert steps["capacity"] == pytest.approx(-240.0)
    assert steps["baseline pupils"] == pytest.approx(200.0, rel=0.05)
    # half the pupils living in Aville primary go to Beeton primary
    assert steps["housing pupils moving out"] == pytest.approx(-0.5 * steps["housing pupils living here"])
    assert "Border Farm (S1)" in set(e.parts["item"])


@pytest.fixture(scope="module")
def demo():
    region = pp.load_region()
    a = region.assumptions()
    x = forecast_arrays(region, a)
    return region, a, x, pp.forecast(region)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 100))
def test_demo_area_parts_add_up(demo, i, t):
    region, a, x, res = demo
    j, t = i % len(x.idx.areas), t % len(x.idx.years)
    e = explain_area(region, a, x, x.idx.areas[j], int(x.idx.years[t]))
    _adds_up(e, float(x.shortfall.places_needed[j, t]))
    row = res.shortfall.iloc[j * len(x.idx.years) + t]
    assert e.value == pytest.approx(row["places_needed"])
    assert row["planning_area"] in e.figure


def test_demo_site_and_council_parts_add_up(demo):
    _, _, _, res = demo
    for site in res.contributions["site_id"].iloc[::50]:
        e = explain_site(res, site)
        assert e.total == pytest.approx(e.value)
        assert (e.parts["step"].str.startswith("contribution sought")).all()
    for council in res.funding_gap["council"].unique():
        e = explain_council(res, council)
        assert e.total == pytest.approx(e.value)
        assert e.value == pytest.approx(res.funding_gap.loc[res.funding_gap["council"] == council, "funding_gap"].sum())
        one = explain_council(res, council, "2027/28")
        assert one.total == pytest.approx(one.value)


def test_pp_explain_and_clear_errors():
    region = tiny_region()
    e = pp.explain(region, "area", "PA1", "2018/19", headroom=0.05)
    assert "Aville primary" in e.figure and "headroom" in str(e)
    assert pp.explain(region, "site", "Border Farm").value == pytest.approx(pp.forecast(region).contributions.query("site == 'Border Farm'")["contribution"].sum())
    with pytest.raises(KeyError, match="no planning area 'XX'"):
        pp.explain(region, "area", "XX", 2018)
    with pytest.raises(KeyError, match="outside the forecast"):
        pp.explain(region, "area", "PA1", 2040)
    with pytest.raises(ValueError, match="needs a year"):
        pp.explain(region, "area", "PA1")
    frame = e.to_frame()
    assert list(frame.columns) == ["step", "item", "value"] and np.isfinite(frame["value"]).all()


def test_cli_explain(capsys):
    from placeplan.cli import main

    assert main(["explain", "council", "Bedford"]) == 0
    out = capsys.readouterr().out
    assert "Funding gap, Bedford" in out and "total of the parts" in out
    assert main(["explain", "area", "nowhere", "2027"]) == 1
    assert "no planning area 'nowhere'" in capsys.readouterr().err


def test_xlsx_export_formats_and_explain_sheet(tmp_path):
    import openpyxl

    region = tiny_region()
    res = pp.forecast(region)
    changes = pp.scenario_changes(pp.Scenario(name="a"), pp.Scenario(name="b", assumptions={"headroom": 0.05}))
    path = pp.export_results(res, tmp_path / "r.xlsx", changes=changes,
                             explanations=[pp.explain(region, "area", "PA1", 2018), pp.explain(region, "council", "A")])
    wb = openpyxl.load_workbook(path)
    assert {"provenance", "scenario changes", "explain"} <= set(wb.sheetnames)
    fg = wb["funding_gap"]
    assert fg.freeze_panes == "A2"
    header = [c.value for c in fg[1]]
    assert "£" in fg.cell(2, header.index("funding_gap") + 1).number_format
    assert "#,##0" in fg.cell(2, header.index("places_needed") + 1).number_format
    con = wb["contributions"]
    header = [c.value for c in con[1]]
    assert "£" in con.cell(2, header.index("contribution") + 1).number_format
    explain = pd.read_excel(path, sheet_name="explain")
    for figure, rows in explain.groupby("figure", sort=False):
        parts = rows[~rows["step"].isin(["total of the parts", figure])]
        assert parts["value"].sum() == pytest.approx(rows.loc[rows["step"] == "total of the parts", "value"].iloc[0])
    # a CSV stays plain
    pp.export_results(res, tmp_path / "r.csv")
    assert "£" not in (tmp_path / "r.csv").read_text()


def test_changes_in_words_names_sites_settings_and_areas():
    from placeplan.model.changes import changes_in_words

    region = tiny_region()
    b = pp.Scenario(name="b", assumptions={"headroom": 0.05}, edit_sites={"S1": {"dwellings": 1500.0}},
                    capacity_changes=[{"planning_area_code": "PA1", "phase": "primary", "academic_year": 2017,
                                       "places": 30, "project_type": "expansion"}])
    words = changes_in_words(region, pp.Scenario(name="a"), b)
    assert "Headroom (operating margin): 2% → 5%" in words
    assert "Border Farm: 200 → 1,500 dwellings" in words
    assert "Capacity: 30 primary places in Aville primary from 2017/18" in words
    assert changes_in_words(region, b, b) == []
