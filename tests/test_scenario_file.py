"""The scenario document: read within bounds, its values checked with the bundle's schema."""

import json

import pytest

import placeplan as pp
from placeplan.io.scenario_file import (
    MAX_JSON_DEPTH,
    MAX_SCENARIO_BYTES,
    check_scenario,
    export_scenario,
    import_scenario,
    json_depth,
    load_json,
    read_scenario,
    scenario_from_dict,
    scenario_from_json,
    write_scenario,
)
from placeplan.model.scenario import Scenario
from placeplan.testing import tiny_region


def problems_of(fn, *args):
    with pytest.raises(pp.ValidationError) as exc:
        fn(*args)
    return exc.value.problems


@pytest.mark.parametrize("change, words", [
    ({"share_houses": 5}, "5 is above the maximum 1"),
    ({"share_houses": -3}, "-3 is below the minimum 0"),
    ({"share_houses": "abc"}, "'abc' is not a number"),
    ({"dwellings": 1e308}, "1e+308 is above the maximum 100000"),
    ({"dwellings": -3}, "-3 is below the minimum 0"),
    ({"dwellings": True}, "true is not a number"),
    ({"dwellings": {"a": 1}}, "must be a number, not an object"),
    ({"dwellings": None}, "value is missing"),
    ({"delay_years": 1e30}, "above the maximum 50"),
    ({"delay_years": 1.5}, "1.5 is not a whole number"),
    ({"first_year": 1_000_000}, "above the maximum 2200"),
    ({"status": "built-ish"}, "'built-ish' is not one of permissioned"),
])
def test_site_edits_are_checked_like_a_sites_file(change, words):
    doc = {"edit_sites": {"S1": change}}
    found = problems_of(scenario_from_dict, doc, "s.json")
    assert {(p.file, p.layer, p.column) for p in found} == {("s.json", "scenario", f"edit_sites.S1.{next(iter(change))}")}
    assert words in found[0].message
    # the library refuses the same scenario made in Python, before applying it
    again = problems_of(pp.forecast, tiny_region(), Scenario(edit_sites={"S1": change}))
    assert [(q.column, q.message) for q in again] == [(p.column, p.message) for p in found]


def test_good_site_edits_pass_and_forecast():
    doc = {"edit_sites": {"S1": {"share_houses": 0.5, "dwellings": "300", "delay_years": -1, "status": "allocated"}}}
    s = scenario_from_dict(doc)
    assert check_scenario(s) == []
    assert pp.forecast(tiny_region(), s).shortfall["housing_pupils"].sum() > 0


@pytest.mark.parametrize("row, column, words", [
    ({"dwellings": 1e308}, "add_sites.dwellings", "above the maximum"),
    ({"share_houses": 9}, "add_sites.share_houses", "above the maximum 1"),
    ({"first_year": -5}, "add_sites.first_year", "below the minimum 1900"),
    ({"easting": 1e9}, "add_sites.easting", "above the maximum"),
    ({"easting": "east"}, "add_sites.easting", "'east' is not a number"),
    ({"status": "built-ish"}, "add_sites.status", "is not one of"),
    ({"colour": "red"}, "colour", "unknown field of a new site"),
])
def test_new_sites_are_checked_like_a_sites_file(row, column, words):
    site = {"site_id": "N1", "council_code": "A", "dwellings": 50, "easting": 401000, "northing": 201000, **row}
    (p,) = problems_of(scenario_from_dict, {"add_sites": [site]}, "s.json")
    if "." not in column:  # the scenario document's own shape (Scenario.from_dict)
        assert p.column == column and words in p.message
        return
    layer, name = column.split(".", 1)  # the sites layer's own check: list, row from 1, column
    assert (p.layer, p.row, p.column) == (layer, 1, name) and words in p.message


@pytest.mark.parametrize("key, row, column, words", [
    ("capacity_changes", {"planning_area_code": "PA1", "phase": "primary", "academic_year": "2017/18", "places": "lots"},
     "capacity_changes.places", "'lots' is not a number"),
    ("capacity_changes", {"planning_area_code": "PA1", "phase": "primary", "places": 30},
     "capacity_changes.academic_year", "required column is missing"),
    ("capacity_changes", {"planning_area_code": "PA1", "phase": "primary", "academic_year": "next year", "places": 30},
     "capacity_changes.academic_year", "not an academic year"),
    ("costs", {"council_code": "A", "phase": "primary", "project_type": "expansion", "cost_per_place": "cheap"},
     "costs.cost_per_place", "'cheap' is not a number"),
    ("funding", {"council_code": "A", "academic_year": "2017/18", "source": "other", "amount": "a lot"},
     "funding.amount", "'a lot' is not a number"),
    ("funding", {"council_code": "A", "academic_year": "2017/18", "source": "other", "amount": 1, "colour": 2},
     "funding.colour", "unknown column"),
])
def test_rows_are_checked_with_their_layer(key, row, column, words):
    (p,) = problems_of(scenario_from_dict, {key: [row]})
    layer, name = column.split(".", 1)  # the layer's own check: list, row from 1 (None: whole column), column
    assert (p.layer, p.row in (1, None), p.column) == (layer, True, name) and words in p.message


def test_json_deeper_than_the_cap_is_refused_without_recursion():
    deep = "[" * 50_000 + "]" * 50_000
    assert json_depth(deep.encode()) == 50_000
    (p,) = problems_of(scenario_from_json, deep, "deep.json")
    assert p.file == "deep.json" and f"nested 50000 deep; a scenario may nest at most {MAX_JSON_DEPTH}" in p.message
    objects = '{"a":' * 50_000 + "1" + "}" * 50_000
    assert "nested 50000 deep" in problems_of(import_scenario, objects)[0].message
    # brackets inside text do not count
    assert json_depth(b'{"name": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\" ["}') == 1


def test_size_duplicate_keys_and_non_numbers_are_refused(tmp_path):
    big = b'{"description": "' + b"x" * MAX_SCENARIO_BYTES + b'"}'
    assert "a scenario may be at most 5 MB" in problems_of(import_scenario, big)[0].message
    path = tmp_path / "big.json"
    path.write_bytes(big)
    assert "a scenario may be at most 5 MB" in problems_of(read_scenario, path)[0].message
    (p,) = problems_of(scenario_from_json, '{"name": "a", "edit_sites": {"S1": {"dwellings": 1, "dwellings": 2}}}')
    assert "key 'dwellings' appears twice in one object" in p.message
    for constant in ("NaN", "Infinity", "-Infinity"):
        assert "not a number JSON allows" in problems_of(load_json, '{"x": ' + constant + '}')[0].message
    assert "not valid JSON" in problems_of(load_json, '{"x": ' + "9" * 5000 + "}")[0].message
    assert "not UTF-8" in problems_of(load_json, b'{"name": "\xff"}')[0].message


def test_write_read_import_export_round_trip(tmp_path):
    s = Scenario(name="x", edit_sites={"S1": {"dwellings": 10}}, assumptions={"headroom": 0.04},
                 capacity_changes=[{"planning_area_code": "PA1", "phase": "primary", "academic_year": "2017/18",
                                    "places": 30}])
    path = write_scenario(s, tmp_path / "x.json", meta={"author": "ann"})
    assert read_scenario(path) == s == pp.load_scenario(path)
    assert import_scenario(export_scenario(s)) == s
    assert json.loads(export_scenario(s, {"author": "ann"}))["saved"] == {"author": "ann"}
    assert "file not found" in problems_of(read_scenario, tmp_path / "nope.json")[0].message


def test_model_from_dict_still_checks_shape_and_settings():
    assert Scenario.from_dict({"name": "n"}) == Scenario(name="n")
    (p,) = problems_of(Scenario.from_dict, {"assumptions": {"ratio_years": 10**9}}, "s.json")
    assert p.column == "assumptions.ratio_years" and "not allowed" in p.message
    (p,) = problems_of(Scenario.from_json, "[" * 50_000 + "]" * 50_000)
    assert "not valid JSON" in p.message
    with pytest.raises(Exception):  # noqa: B017 - frozen: a scenario is changed by dataclasses.replace
        Scenario().name = "x"


@pytest.mark.parametrize("doc, column", [
    ({"edit_sites": {"S1": {"council_code": "NOT-A-COUNCIL"}}}, "edit_sites.S1.council_code"),
    ({"costs": [{"council_code": "Z", "phase": "primary", "project_type": "expansion", "cost_per_place": 1.0}]},
     "costs.council_code"),
    ({"funding": [{"council_code": "Z", "academic_year": "2017/18", "source": "other", "amount": 1.0}]},
     "funding.council_code"),
    ({"capacity_changes": [{"planning_area_code": "NOPE", "phase": "primary", "academic_year": "2017/18",
                            "places": 30}]}, "capacity_changes.planning_area_code"),
])
def test_codes_the_region_lacks_are_refused_when_applied(doc, column):
    scenario = scenario_from_dict(doc)
    (p,) = problems_of(pp.apply_scenario, tiny_region(), scenario)
    assert column.endswith(p.column) and ("not in the region" in p.message or "unknown council" in p.message
                                          or "of the region" in p.message)
