"""Turning table edits into scenario changes."""

import pandas as pd

from placeplan.app import edits
from placeplan.model.scenario import Scenario


def test_unchanged_table_is_no_change(demo_region):
    t = edits.sites_table(demo_region, Scenario())
    assert edits.scenario_from_sites_table(demo_region, Scenario(), t) == Scenario()


def test_edit_add_remove_from_table(demo_region):
    t = edits.sites_table(demo_region, Scenario())
    i = t.index[t["site_id"] == "MK:BR30"][0]
    t.loc[i, "dwellings"] = 500.0
    t.loc[i, "status"] = "allocated"
    t = t[t["site_id"] != "MK:BR33"]
    new = pd.DataFrame([{"site_id": "NEW", "site": "New", "council_code": "E06000042", "dwellings": 100,
                         "first_year": 2019, "build_rate": 50, "easting": 485000, "northing": 238000}])
    t = pd.concat([t, new, pd.DataFrame([{"site_id": None}])], ignore_index=True)
    s = edits.scenario_from_sites_table(demo_region, Scenario(), t)
    assert s.edit_sites == {"MK:BR30": {"dwellings": 500.0, "status": "allocated"}}
    assert s.remove_sites == ["MK:BR33"]
    assert s.add_sites == [{"site_id": "NEW", "site": "New", "council_code": "E06000042", "dwellings": 100.0,
                            "first_year": 2019, "build_rate": 50.0, "easting": 485000.0, "northing": 238000.0}]
    # and the table of that scenario turns back into the same sites (defaults made explicit)
    back = edits.scenario_from_sites_table(demo_region, s, edits.sites_table(demo_region, s))
    assert (back.edit_sites, back.remove_sites) == (s.edit_sites, s.remove_sites)
    assert back.add_sites == [{**s.add_sites[0], "status": "allocated"}]


def test_costs_and_capacity_tables(demo_region):
    t = edits.costs_table(demo_region, Scenario())
    assert edits.scenario_from_costs_table(demo_region, Scenario(), t).costs == []
    # labelled for people: council by name, project in words, the code last
    assert list(t.columns[:3]) == ["council", "phase", "project_type"] and t.columns[-1] == "council_code"
    assert t["council"].iloc[0] == "Bedford" and "new school" in set(t["project_type"])
    row = t.index[t["project_type"] == "new school"][0]
    t.loc[row, "cost_per_place"] = 1.0
    (cost,) = edits.scenario_from_costs_table(demo_region, Scenario(), t).costs
    assert (cost["council_code"], cost["project_type"], cost["cost_per_place"]) == (t.loc[row, "council_code"], "new_school", 1.0)
    cap = pd.DataFrame([{"planning_area_code": "8260001", "phase": "primary", "academic_year": "2018/19", "places": 60,
                         "project_type": None, "description": None}, {"planning_area_code": None}])
    s = edits.scenario_from_capacity_table(Scenario(), cap)
    assert s.capacity_changes == [{"planning_area_code": "8260001", "phase": "primary", "academic_year": 2018,
                                   "places": 60.0, "project_type": "expansion", "description": ""}]


def test_check_upload_names_the_file_never_the_temp_folder(demo_region):
    from pathlib import Path

    good = (Path(__file__).resolve().parent.parent / "templates" / "sites.csv").read_bytes()
    up = edits.check_upload("our_sites.csv", good, demo_region)
    assert (up.kind, up.name, up.problems) == ("sites", "our_sites.csv", [])
    assert len(up.region.sites) == 2
    bad = b"site_id,site,council_code,dwellings,status,first_year,build_rate,easting,northing\n" \
          b"X1,Somewhere,E06000042,lots,allocated,2019,50,488000,244000\n"
    up = edits.check_upload("our_sites.csv", bad, demo_region)
    assert up.region is None and len(up.problems) == 1
    assert up.problems[0].file == "our_sites.csv" and up.problems[0].column == "dwellings"
