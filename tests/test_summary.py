"""Figures the pages and the CLI show, worked by hand on the tiny region (tests/conftest.py)."""

import numpy as np
import pandas as pd
import pytest

import placeplan as pp
from placeplan.model import summary
from placeplan.model.comparison import compare
from tests.conftest import approx


@pytest.fixture
def tiny_results(tiny_region):
    return pp.forecast(tiny_region)


def test_peak_places_needed_by_hand(tiny_results):
    # Aville primary (PA1): 200 pupils on roll and 210 places. Border Farm's 200 dwellings
    # lie half in Aville; 100 a year from 2016 at 0.25 primary pupils per dwelling gives
    # 12.5 then 25 pupils, so 225 pupils from 2018/19: 225 * 1.02 - 210 = 19.5 places,
    # 19.5 / 210 = 0.0929 forms of entry. Every other area keeps spare places.
    peak = summary.peak_places_needed(tiny_results.shortfall)
    assert peak[["council", "phase"]].values.tolist() == [["Aville", "primary"], ["Aville", "secondary"],
                                                          ["Beeton", "primary"], ["Beeton", "secondary"]]
    assert peak["places_needed"].tolist() == approx([19.5, 0.0, 0.0, 0.0])
    assert peak["forms_of_entry"].tolist() == approx([19.5 / 210, 0.0, 0.0, 0.0])
    assert peak["areas_short"].tolist() == [1, 0, 0, 0]


def test_peak_is_the_sum_of_area_peaks_not_of_years():
    sf = pd.DataFrame({
        "council": ["X"] * 4 + ["Y"] * 2,
        "planning_area_code": ["P1", "P1", "P2", "P2", "S1", "S1"],
        "phase": ["primary"] * 4 + ["secondary"] * 2,
        "academic_year": ["2020/21", "2021/22"] * 3,
        "places_needed": [30.0, 10.0, 0.0, 60.0, 150.0, 75.0],
    })
    peak = summary.peak_places_needed(sf).set_index(["council", "phase"])
    assert peak.loc[("X", "primary"), "places_needed"] == 90.0  # 30 (P1 in 2020) + 60 (P2 in 2021)
    assert peak.loc[("X", "secondary"), "places_needed"] == 0.0
    assert peak.loc[("Y", "secondary"), "forms_of_entry"] == 1.0  # 150 places, one secondary form of entry
    assert peak.loc[("X", "primary"), "areas_short"] == 2


def test_forms_of_entry():
    assert summary.forms_of_entry([210.0, 150.0, 105.0], ["primary", "secondary", "primary"]).tolist() == [1.0, 1.0, 0.5]


def test_funding_totals_and_council_summary(tiny_results):
    fg = pd.DataFrame({"council": ["B", "A", "A"], "places_needed": [1.0, 2.0, 3.0], "cost": [10.0, 20.0, 30.0],
                       "contributions": [1.0, 2.0, 3.0], "basic_need": [0.0, 5.0, 0.0], "other_funding": [0.0, 0.0, 1.0],
                       "funding_gap": [9.0, 13.0, 26.0]})
    t = summary.funding_totals(fg)
    assert t["council"].tolist() == ["A", "B"]
    assert t["funding_gap"].tolist() == [39.0, 9.0] and t["cost"].tolist() == [50.0, 10.0]
    row = summary.council_summary(tiny_results.shortfall, tiny_results.funding_gap).loc["Aville"]
    assert row["primary_places_needed"] == approx(19.5)
    # 6.75 places in 2017/18 and 12.75 more in 2018/19 at £20,000 a primary expansion place
    assert row["cost"] == approx(19.5 * 20_000)
    assert row["funding_gap"] == approx(row["cost"] - row["contributions"] - row["basic_need"] - row["other_funding"])


def test_capacity_after_headroom_is_where_places_start_to_be_needed(tiny_region, tiny_results):
    headroom = tiny_region.assumptions().headroom  # 0.02
    demand = summary.demand_against_capacity(tiny_results.shortfall, "PA1", headroom)
    assert demand["capacity_after_headroom"].tolist() == approx([210 / 1.02] * 5)
    sf = tiny_results.shortfall
    over = sf["pupils_forecast"] > summary.capacity_after_headroom(sf["capacity"], headroom) + 1e-9
    assert (over == (sf["places_needed"] > 0)).all()
    assert demand["pupils_forecast"].tolist() == approx([200.0, 200.0, 212.5, 225.0, 225.0])


def test_compare_totals(tiny_region, tiny_results):
    bigger = pp.forecast(tiny_region, pp.Scenario(edit_sites={"S1": {"dwellings": 400.0}}))
    totals = summary.compare_totals(compare(tiny_results, bigger))
    sf = totals["shortfall"].set_index(["council", "phase"])
    assert sf.loc[("Aville", "primary"), "places_needed_A"] == approx(6.75 + 19.5 + 19.5)
    assert np.allclose(sf["places_needed_change"], sf["places_needed_B"] - sf["places_needed_A"])
    fg = totals["funding_gap"]
    assert list(fg.columns) == ["council", "funding_gap_A", "funding_gap_B", "funding_gap_change"]
