"""placeplan.testing: the tiny region and assert_results_equal, as users' tests would use them."""

import pytest

import placeplan as pp
from placeplan.testing import assert_results_equal, tiny_frames, tiny_region


def test_tiny_region_is_two_councils_with_a_border_site():
    region = tiny_region()
    assert region.councils["council_code"].tolist() == ["A", "B"]
    assert sorted(region.planning_areas["planning_area_code"]) == ["PA1", "PB1", "SA1", "SB1"]
    assert region.assumptions().horizon == 5
    # the site straddles the border: half its dwellings in each council's primary area
    primary = region.site_areas.query("phase == 'primary'").set_index("planning_area_code")["share"]
    assert primary.to_dict() == pytest.approx({"PA1": 0.5, "PB1": 0.5})
    assert set(tiny_frames()) >= {"councils", "planning_areas", "schools", "zones", "sites", "yields", "costs", "meta"}
    smaller = tiny_region(sites=tiny_frames()["sites"].assign(dwellings=100.0))
    assert smaller.sites["dwellings"].tolist() == [100.0]


def test_assert_results_equal_passes_for_the_same_forecast():
    region = tiny_region()
    assert_results_equal(pp.forecast(region), pp.forecast(region))
    # a scenario that changes nothing gives equal tables, though its provenance names it
    same = pp.forecast(region, pp.Scenario(name="same"))
    assert_results_equal(pp.forecast(region), same)
    with pytest.raises(AssertionError, match="'provenance' differs"):
        assert_results_equal(pp.forecast(region), same, provenance=True)


def test_assert_results_equal_names_the_table_that_differs():
    region = tiny_region()
    with pytest.raises(AssertionError, match="Results table 'shortfall' differs"):
        assert_results_equal(pp.forecast(region), pp.forecast(region, headroom=0.1))


def test_assert_results_equal_tolerance():
    region = tiny_region()
    a = pp.forecast(region)
    b = pp.forecast(region)
    nudged = b.shortfall.assign(pupils_forecast=b.shortfall["pupils_forecast"] * (1 + 1e-7))
    with pytest.raises(AssertionError):
        _compare_shortfall(a, nudged, rtol=1e-9)
    _compare_shortfall(a, nudged, rtol=1e-6)


def _compare_shortfall(a, shortfall, rtol):
    """Compare ``a`` with a copy of it whose shortfall table is ``shortfall``."""

    class Swapped:
        TABLES = a.TABLES
        warnings = a.warnings

        def __getattr__(self, name):
            return shortfall if name == "shortfall" else getattr(a, name)

    assert_results_equal(a, Swapped(), rtol=rtol, atol=0)
