"""Placing a site by postcode: the region's postcode lookup, its layer and the bundle round trip."""

import pandas as pd
import pytest

import placeplan as pp
from placeplan.io.bundle import region_from_frames, write_region
from placeplan.model.postcodes import normalise_postcode, place_postcode
from placeplan.testing import X0, Y0, tiny_frames, tiny_region

#: two postcodes of the tiny region: one in Aville, one in Beeton
POSTCODES = pd.DataFrame({"postcode": ["AB1 2CD", "AB12 3EF"], "easting": [X0 + 500, X0 + 3500],
                          "northing": [Y0 + 500, Y0 + 1500]})


def message(exc) -> str:
    return str(exc.value.problems[0].message)


@pytest.mark.parametrize("text, want", [("mk9 3ej", "MK9 3EJ"), (" MK93EJ ", "MK9 3EJ"), ("hp198hq", "HP19 8HQ"),
                                        ("HP19  8HQ", "HP19 8HQ"), ("sw1a 1aa", "SW1A 1AA")])
def test_normalise_postcode(text, want):
    assert normalise_postcode(text) == want


def test_place_by_postcode_in_the_tiny_region():
    reg = tiny_region(postcodes=POSTCODES)
    got = place_postcode(reg, "ab12 3ef")
    assert (got.postcode, got.easting, got.northing) == ("AB12 3EF", X0 + 3500, Y0 + 1500)
    assert got.planning_areas == {"primary": "PB1", "secondary": "SB1"}
    assert got.distance_m == 0.0


def test_demo_region_ships_the_postcode_lookup():
    """MK9 3EJ, Milton Keynes: 485085, 239043 in the ONS Postcode Directory subset
    (raw/postcodes/onspd_postcodes_mk_bed_cbeds_bucks.csv, row 45194)."""
    reg = pp.read_region()
    assert len(reg.postcodes) == 54_050
    got = place_postcode(reg, "mk9 3ej")
    assert (got.postcode, got.easting, got.northing) == ("MK9 3EJ", 485085.0, 239043.0)
    areas = reg.planning_areas.set_index("planning_area_code")
    assert {areas.loc[c, "council_code"] for c in got.planning_areas.values()} == {"E06000042"}
    assert set(got.planning_areas) == {"primary", "secondary"}
    # a Directory postcode written without its space (HP198HQ) is stored as people write it
    assert place_postcode(reg, "HP19 8HQ").easting == 481046.0


@pytest.mark.parametrize("text, says", [
    ("MK9 9ZZ", "postcode MK9 9ZZ is not in this region's postcode lookup (2 postcodes of its councils)"),
    ("hello", "'hello' is not a postcode: a postcode reads like MK9 3EJ"),
    ("  ", "give the site's postcode, e.g. MK9 3EJ"),
])
def test_postcode_messages(text, says):
    with pytest.raises(pp.ValidationError) as exc:
        place_postcode(tiny_region(postcodes=POSTCODES), text)
    assert message(exc).startswith(says)
    assert exc.value.problems[0].column == "postcode"


def test_postcode_outside_the_planning_areas():
    # Beeton's areas end at X0 + 4000: 46 km short of X0 + 50,000
    far = pd.DataFrame({"postcode": ["ZZ1 1ZZ"], "easting": [X0 + 50_000], "northing": [Y0]})
    with pytest.raises(pp.ValidationError) as exc:
        place_postcode(tiny_region(postcodes=far), "zz11zz")
    assert message(exc) == ("postcode ZZ1 1ZZ is not in the region's planning areas: it lies 46.0 km from the "
                            "nearest (more than 5 km)")


def test_region_without_postcodes_says_so():
    reg = tiny_region()
    assert reg.postcodes.empty
    with pytest.raises(pp.ValidationError) as exc:
        place_postcode(reg, "AB1 2CD")
    assert "no postcode lookup" in message(exc)


@pytest.mark.parametrize("with_postcodes", [True, False])
def test_bundle_round_trip_with_and_without_postcodes(tmp_path, with_postcodes):
    reg = tiny_region(postcodes=POSTCODES) if with_postcodes else tiny_region()
    path = write_region(reg, tmp_path / "tiny.gpkg")
    back = pp.read_region(path)
    assert back.postcodes["postcode"].tolist() == (POSTCODES["postcode"].tolist() if with_postcodes else [])
    if with_postcodes:
        assert back.postcodes["easting"].tolist() == POSTCODES["easting"].tolist()
        assert place_postcode(back, "AB1 2CD").planning_areas == {"primary": "PA1", "secondary": "SA1"}


def test_uploaded_postcodes_are_validated():
    bad = pd.DataFrame({"postcode": ["AB1 2CD", "AB1 2CD", "AB2 2CD"], "easting": [X0, X0, -5],
                        "northing": [Y0, Y0, "north"]})
    with pytest.raises(pp.ValidationError) as exc:
        region_from_frames(tiny_frames(postcodes=bad), source="mine.gpkg")
    said = [str(p) for p in exc.value.problems]
    assert any("layer postcodes, row 2, column postcode: duplicate 'AB1 2CD'" in s for s in said), said
    assert any("row 3, column easting: -5 is below the minimum 0" in s for s in said), said
    assert any("row 3, column northing: 'north' is not a number" in s for s in said), said
