"""Scenarios: applied by a pure function, compared, round-tripped, checked."""

import json

import pandas as pd
import pytest

import placeplan as pp
from placeplan.io.scenario_file import scenario_from_dict
from placeplan.model.comparison import compare, scenario_changes, shortfall_effect
from placeplan.model.scenario import Scenario, apply_scenario


def test_apply_does_not_change_the_base(tiny_region):
    before = tiny_region.sites.copy()
    s = Scenario(name="edit", edit_sites={"S1": {"dwellings": 400, "delay_years": 1}})
    changed, _ = apply_scenario(tiny_region, s)
    assert tiny_region.sites.equals(before)
    assert changed.sites.loc[0, "dwellings"] == 400
    assert changed.sites.loc[0, "first_year"] == 2017


def test_add_site_by_location_and_by_planning_area(tiny_region):
    s = Scenario(add_sites=[
        {"site_id": "N1", "site": "East", "council_code": "B", "dwellings": 100, "easting": 403500, "northing": 201000,
         "first_year": 2016, "build_rate": 100},
        {"site_id": "N2", "council_code": "A", "dwellings": 40, "planning_area_code": "PA1"},
    ])
    changed, _ = apply_scenario(tiny_region, s)
    sa = changed.site_areas.set_index(["id", "phase"])
    assert sa.loc[("N1", "primary"), "planning_area_code"] == "PB1"
    assert sa.loc[("N2", "primary"), "planning_area_code"] == "PA1"
    assert sa.loc[("N2", "primary"), "method"] == "chosen"
    base = pp.forecast(tiny_region).shortfall.set_index(["planning_area_code", "academic_year"])
    res = pp.forecast(tiny_region, s).shortfall.set_index(["planning_area_code", "academic_year"])
    assert (res.loc[("PB1", "2017/18"), "pupils_forecast"] - base.loc[("PB1", "2017/18"), "pupils_forecast"]) == pytest.approx(25)


def test_remove_site_and_levers(tiny_region):
    none = pp.forecast(tiny_region, Scenario(remove_sites=["S1"]))
    assert none.shortfall["housing_pupils"].sum() == 0
    delayed = pp.forecast(tiny_region, Scenario(assumptions={"delay_years": 10}))
    assert delayed.shortfall["housing_pupils"].sum() == 0
    more = pp.forecast(tiny_region, Scenario(assumptions={"yield_multipliers": {"primary": 2.0}}))
    base = pp.forecast(tiny_region)
    m = more.shortfall.query("phase == 'primary'")["housing_pupils"].sum()
    assert m == pytest.approx(2 * base.shortfall.query("phase == 'primary'")["housing_pupils"].sum())


def test_headroom_costs_and_capacity_changes(tiny_region):
    s = Scenario(
        assumptions={"headroom": 0.05},
        costs=[{"council_code": "A", "phase": "primary", "project_type": "expansion", "cost_per_place": 30_000.0}],
        capacity_changes=[{"planning_area_code": "PA1", "phase": "primary", "academic_year": "2017/18", "places": 30}],
    )
    res = pp.forecast(tiny_region, s)
    sf = res.shortfall.set_index(["planning_area_code", "academic_year"])
    assert sf.loc[("PA1", "2017/18"), "capacity"] == 240
    # 200 + 12.5 pupils (no flows here) x 1.05 = 223.1 < 240
    assert sf.loc[("PA1", "2017/18"), "places_needed"] == 0
    assert sf.loc[("PA1", "2016/17"), "places_needed"] == pytest.approx(0.0)
    prov = dict(zip(res.provenance["key"], res.provenance["value"]))
    assert json.loads(prov["assumption.headroom"]) == 0.05
    assert prov["scenario"].startswith("base (")


def test_compare_two_scenarios(tiny_region):
    a = pp.forecast(tiny_region)
    b = pp.forecast(tiny_region, Scenario(edit_sites={"S1": {"dwellings": 1000, "build_rate": 500}}))
    diff = compare(a, b, "base", "big")
    short = diff["shortfall"].set_index(["planning_area_code", "academic_year"])
    assert short.loc[("PA1", "2018/19"), "places_needed_change"] > 0
    assert (diff["funding_gap"]["cost_change"] >= 0).all()


def test_scenario_json_roundtrip_and_changes():
    s = Scenario(name="x", edit_sites={"S1": {"dwellings": 10}}, assumptions={"headroom": 0.04})
    back = Scenario.from_json(s.to_json())
    assert back == s and back.digest() == s.digest()
    t = Scenario(name="y", edit_sites={"S1": {"dwellings": 20}}, assumptions={"headroom": 0.04}, remove_sites=["Q"])
    ch = scenario_changes(s, t)
    assert ch.columns.tolist() == ["change", "x", "y"]
    assert ch["change"].tolist() == ["edit_sites.S1", "remove_sites"]
    assert scenario_changes(s, s).columns.tolist() == ["change", "A", "B"]


@pytest.mark.parametrize(
    "doc, where",
    [
        ([1, 2], None),
        ({"sites": []}, "sites"),
        ({"edit_sites": {"S1": {"dwellings": -3}}}, "edit_sites.S1.dwellings"),
        ({"edit_sites": {"S1": {"colour": "red"}}}, "edit_sites.S1.colour"),
        ({"assumptions": {"headroom": 2}}, "assumptions.headroom"),
        ({"assumptions": {"baseline_method": "magic"}}, "assumptions.baseline_method"),
        ({"add_sites": [{"site_id": "N", "council_code": "A", "dwellings": 5}]}, "easting"),
    ],
)
def test_bad_scenarios_are_named(doc, where):
    with pytest.raises(pp.ValidationError) as exc:
        scenario_from_dict(doc, "s.json")  # the document's reader: shape (model) and values (io schema)
    assert exc.value.problems[0].column == where


def test_scenario_naming_unknown_site(tiny_region):
    with pytest.raises(pp.ValidationError) as exc:
        apply_scenario(tiny_region, Scenario(remove_sites=["nope"]))
    assert "no site 'nope'" in str(exc.value)


def test_invalid_json(tmp_path):
    p = tmp_path / "s.json"
    p.write_text("{not json")
    with pytest.raises(pp.ValidationError) as exc:
        pp.load_scenario(p)
    assert "not valid JSON" in str(exc.value)


def _shortfall(rows):
    cols = ["council", "planning_area_code", "planning_area", "phase", "academic_year", "pupils_forecast", "places_needed"]
    return pd.DataFrame(rows, columns=cols)


BASE_SF = _shortfall([
    ("Aville", "P1", "Aville North", "primary", "2025/26", 100.0, 0.0),
    ("Aville", "P1", "Aville North", "primary", "2026/27", 110.0, 5.0),
    ("Aville", "S1", "Aville Secondary", "secondary", "2025/26", 50.0, 2.0),
    ("Aville", "S1", "Aville Secondary", "secondary", "2026/27", 60.0, 1.0),
    ("Beeton", "Q1", "Beeton", "primary", "2025/26", 30.0, 0.0),
    ("Beeton", "Q1", "Beeton", "primary", "2026/27", 30.0, 0.0),
])
SCEN_SF = _shortfall([
    ("Aville", "P1", "Aville North", "primary", "2025/26", 104.0, 3.0),
    ("Aville", "P1", "Aville North", "primary", "2026/27", 120.0, 15.0),
    ("Aville", "S1", "Aville Secondary", "secondary", "2025/26", 50.0, 2.0),
    ("Aville", "S1", "Aville Secondary", "secondary", "2026/27", 60.0, 1.0),
    ("Beeton", "Q1", "Beeton", "primary", "2025/26", 40.0, 0.0),
    ("Beeton", "Q1", "Beeton", "primary", "2026/27", 41.0, 0.04),
])


@pytest.mark.parametrize("shuffle", [False, True])
def test_shortfall_effect_by_hand(shuffle):
    # worked by hand: Aville primary pupils 210 -> 224, places needed 5 -> 18; peaks per
    # council are the sum over areas of each area's peak: Aville 5 + 2 = 7 -> 15 + 2 = 17
    scen = SCEN_SF.sample(frac=1.0, random_state=3).reset_index(drop=True) if shuffle else SCEN_SF
    eff = shortfall_effect(BASE_SF, scen)  # shuffled rows take the merge path: same answer
    by = eff.by_council_phase.set_index(["council", "phase"])
    assert list(by.index) == [("Aville", "primary"), ("Aville", "secondary"), ("Beeton", "primary")]
    assert by.loc[("Aville", "primary")].tolist() == [210.0, 224.0, 14.0, 5.0, 18.0, 13.0]
    assert by.loc[("Aville", "secondary")].tolist() == [110.0, 110.0, 0.0, 3.0, 3.0, 0.0]
    assert by.loc[("Beeton", "primary"), "pupils_forecast_change"] == 21.0
    assert by.loc[("Beeton", "primary"), "places_needed_scenario"] == pytest.approx(0.04)
    # a change of 0.04 places is below the 0.05 listed
    changed = eff.changed.sort_values("academic_year")
    assert changed[["planning_area_code", "academic_year"]].values.tolist() == [["P1", "2025/26"], ["P1", "2026/27"]]
    assert changed["places_needed_change"].tolist() == [3.0, 10.0]
    assert eff.peak_base.to_dict() == {"Aville": 7.0, "Beeton": 0.0}
    assert eff.peak_scenario["Aville"] == 17.0 and eff.peak_scenario["Beeton"] == pytest.approx(0.04)


def test_shortfall_effect_of_no_change_is_nothing(tiny_region):
    sf = pp.forecast(tiny_region).shortfall
    eff = shortfall_effect(sf, pp.forecast(tiny_region, Scenario(name="same")).shortfall)
    assert eff.changed.empty
    assert (eff.by_council_phase.filter(like="_change") == 0).all().all()
    assert eff.peak_base.equals(eff.peak_scenario)
    reference = sf.groupby(["council", "planning_area_code"])["places_needed"].max().groupby("council").sum()
    assert eff.peak_base.to_dict() == pytest.approx(reference.to_dict())
