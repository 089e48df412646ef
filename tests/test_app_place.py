"""Placing a new site in the app: by postcode, by a named area, by a click on the map."""

import pytest

from placeplan.app import maps
from placeplan.model.postcodes import place_postcode
from tests.test_app import open_page


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))


def add(at, site_id: str, **values):
    at.text_input(key="add_id").input(site_id)
    at.number_input(key="add_dwellings").set_value(values.pop("dwellings", 2000))
    for key, value in values.items():
        widget = {"how": at.radio, "postcode": at.text_input, "area": at.selectbox}[key]
        widget(key=f"add_{key}").set_value(value)
    next(b for b in at.button if b.label == "Add to the scenario").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_add_a_site_by_postcode_says_where_it_went(demo_region):
    at = open_page("Planning")
    assert at.radio(key="add_how").value == "postcode"  # the default
    add(at, "NEW-PC", postcode="mk9 3ej")
    site = at.session_state["scenario"].add_sites[0]
    assert (site["easting"], site["northing"]) == (485085.0, 239043.0)  # MK9 3EJ in the Postcode Directory
    said = " ".join(s.value for s in at.success)
    areas = place_postcode(demo_region, "MK9 3EJ").planning_areas
    names = demo_region.planning_areas.set_index("planning_area_code")["planning_area"]
    assert "NEW-PC placed by postcode MK9 3EJ" in said
    assert f"{names[areas['primary']]} (primary)" in said and f"{names[areas['secondary']]} (secondary)" in said


def test_an_unknown_postcode_is_named_and_nothing_added():
    at = add(open_page("Planning"), "NEW-X", postcode="MK9 9ZZ")
    assert at.session_state["scenario"].add_sites == []
    assert any("problem" in e.value for e in at.error)
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "postcode MK9 9ZZ is not in this region's postcode lookup" in shown


def test_add_a_site_in_a_named_secondary_area(demo_region):
    pa = demo_region.planning_areas
    code = pa.loc[pa["phase"] == "secondary", "planning_area_code"].iloc[0]
    at = open_page("Planning")
    assert maps.area_labels(pa)[code] in at.selectbox(key="add_area").options
    add(at, "NEW-SEC", how="planning area", area=code)
    assert at.session_state["scenario"].add_sites[0]["planning_area_code"] == code


def test_place_in_the_clicked_area():
    at = open_page("Planning")
    at.session_state["add_clicked"] = "8260009"  # what a click on the map stores (planning_map)
    add(at, "NEW-MAP", how="the area clicked on the map")
    assert at.session_state["scenario"].add_sites[0]["planning_area_code"] == "8260009"


def test_the_map_selection_handler():
    event = {"selection": {"indices": {"areas": [3]}, "objects": {"areas": [
        {"type": "Feature", "properties": {"planning_area_code": "8260009", "planning_area": "Milton Keynes: x"}}]}}}
    assert maps.selected_area(event) == "8260009"
    assert maps.selected_area(event, {"8260001"}) is None  # not an area on the map shown
    assert maps.selected_area({"selection": {"objects": {"sites": [{"site_id": "S1"}]}}}) is None
    assert maps.selected_area({"selection": {"objects": {}}}) is None
    assert maps.selected_area(None) is None


def test_map_area_labels_name_council_wards_phase_and_code(demo_region):
    labels = maps.area_labels(demo_region.planning_areas)
    assert labels["8220001"].startswith("Bedford: ") and labels["8220001"].endswith("(primary, 8220001)")
