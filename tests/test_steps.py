"""Each model step against hand calculations."""

import numpy as np
import pandas as pd
import pytest

from placeplan.model import baseline as bl
from placeplan.model.capacity import capacity_by_year, shortfall
from placeplan.model.completions import completions, net_of_background
from placeplan.model.flows import apply_flows, flow_matrix
from placeplan.model.funding import new_places, shift_earlier
from placeplan.model.yields import housing_pupils, lag_operator, site_yields

YEARS = np.arange(2016, 2022)


def test_completions_start_and_rate():
    built = completions(np.array([250.0, 30.0, 100.0]), np.array([2017, 2016, 2030]), np.array([100.0, 0.0, 50.0]), YEARS)
    assert built[0].tolist() == [0, 100, 100, 50, 0, 0]
    assert built[1].tolist() == [30, 0, 0, 0, 0, 0]  # rate 0: all in one year
    assert built[2].sum() == 0  # starts after the horizon


def test_completions_started_before_window_counts_towards_cap():
    built = completions(np.array([250.0]), np.array([2015]), np.array([100.0]), YEARS)
    assert built[0].tolist() == [100, 50, 0, 0, 0, 0]


def test_trajectory_capped_at_dwellings():
    traj = np.array([[50, 80, np.nan, 80, 0, 0], [np.nan] * 6])
    built = completions(np.array([150.0, 40.0]), np.array([2016, 2018]), np.array([10.0, 20.0]), YEARS, traj)
    assert built[0].tolist() == [50, 80, 0, 20, 0, 0]
    assert built[1].tolist() == [0, 0, 20, 20, 0, 0]  # falls back to start and rate


def test_netting_background_rate():
    built = np.array([[60.0, 100.0], [40.0, 0.0]])
    net = net_of_background(built, np.array([0, 0]), np.array([80.0]))
    # council total 100 then 100; 20 above background each year, shared pro rata
    assert net.tolist() == [[12.0, 20.0], [8.0, 0.0]]


def test_site_yields_by_mix():
    yields = pd.DataFrame(
        [
            ("primary", "all", "all", 0.253), ("secondary", "all", "all", 0.125),
            ("primary", "type", "house", 0.356), ("primary", "type", "flat", 0.101),
            ("primary", "bedrooms", "1", 0.029), ("primary", "bedrooms", "2", 0.2),
            ("primary", "bedrooms", "3", 0.368), ("primary", "bedrooms", "4+", 0.402),
        ],
        columns=["phase", "dimension", "category", "pupils_per_dwelling"],
    )
    sites = pd.DataFrame({"share_houses": [1.0, 0.0, 0.5, np.nan]})
    y = site_yields(sites, yields, "type")
    assert y[:, 1] == pytest.approx([0.356, 0.101, 0.2285, 0.253])
    # secondary scaled by the primary split's ratio to the all-dwellings primary yield
    assert y[0, 2] == pytest.approx(0.125 * 0.356 / 0.253)
    bed = pd.DataFrame({"share_1bed": [0.5], "share_2bed": [0.5], "share_3bed": [0.0], "share_4bed": [0.0]})
    assert site_yields(bed, yields, "bedrooms")[0, 1] == pytest.approx(0.1145)
    assert site_yields(bed, yields, "all", {"primary": 2.0})[0, 1] == pytest.approx(0.506)


def test_yield_profile_and_one_year_lag():
    profile = np.array([[0.5, 1.0, 1.5]])  # one phase, three years since completion
    lag = lag_operator(profile)
    built = np.array([[100.0, 100.0, 0.0]])
    pupils = housing_pupils(built, np.array([[0.2]]), lag)
    # year 0: nothing yet; year 1: first batch at 0.5; year 2: first at 1.0 + second at 0.5
    assert pupils[0, 0].tolist() == pytest.approx([0, 10, 20 + 10])


def test_population_ageing_and_participation():
    base = np.array([[10.0, 20.0, 30.0]])
    aged = bl.age_population(base, np.array([[1.0, 0.5]]), np.array([[12.0, 14.0]]))
    assert aged[0, :, 1].tolist() == [12, 10, 10]
    assert aged[0, :, 2].tolist() == [14, 12, 5]
    rolls = np.array([[9.0, 10.0]])
    resident = np.array([[[10.0, 20.0], [20.0, 10.0]]])  # (A, G, H+1)
    out = bl.population_baseline(rolls, resident)
    assert out[0, 0].tolist() == pytest.approx([18.0, 5.0])


def test_population_baseline_holds_rolls_where_nobody_lives():
    out = bl.population_baseline(np.array([[7.0]]), np.zeros((1, 1, 3)))
    assert out[0, :, 0].tolist() == [7.0, 7.0]


def test_grade_progression_with_feeder():
    # area 0 primary (grade 6 cohort 100), area 1 secondary fed 60% by area 0
    last = np.zeros((2, 8))
    last[0, 6] = 100.0
    ratios = np.ones((2, 7))
    ratios[1, 6] = 0.9
    feeder = np.array([[0.0, 0.6], [0.0, 0.0]])
    out = bl.grade_progression(last, ratios, np.zeros((2, 1)), feeder=feeder)
    assert out[1, 0, 7] == pytest.approx(54.0)


def test_births_trend():
    out = bl.trend_births(np.array([[100.0, 110.0, 120.0]]), np.array([2012, 2013, 2014]), np.array([2015, 2016]), window=3)
    assert out[0].tolist() == pytest.approx([130, 140])


def test_flows_conserve_and_move():
    codes = pd.Index(["P1", "P2"])
    flows = pd.DataFrame([{"from_planning_area": "P2", "to_planning_area": "P1", "phase": "primary", "share": 0.25}])
    m = flow_matrix(flows, codes, "primary")
    assert m.toarray().tolist() == [[1.0, 0.0], [0.25, 0.75]]
    moved = apply_flows(np.array([[100.0], [40.0]]), m)
    assert moved[:, 0].tolist() == [110.0, 30.0]


def test_capacity_changes_by_year():
    changes = pd.DataFrame([
        {"planning_area_code": "P1", "phase": "primary", "academic_year": 2017, "places": 210},
        {"planning_area_code": "P1", "phase": "primary", "academic_year": 2019, "places": -30},
        {"planning_area_code": "P1", "phase": "secondary", "academic_year": 2017, "places": 999},  # wrong phase: ignored
    ])
    cap = capacity_by_year(np.array([420.0]), changes, pd.Index(["P1"]), np.array(["primary"]), YEARS)
    assert cap[0].tolist() == [420, 630, 630, 600, 600, 600]


def test_shortfall_headroom_and_forms_of_entry():
    sf = shortfall(np.array([[200.0, 230.0, 100.0]]), np.array([[210.0, 210.0, 210.0]]), 0.02, np.array([210.0]))
    assert sf.places_needed[0].tolist() == pytest.approx([0.0, 24.6, 0.0])
    assert sf.spare_places[0].tolist() == pytest.approx([10.0, 0.0, 110.0])
    assert sf.forms_of_entry_needed[0, 1] == pytest.approx(24.6 / 210)


def test_new_places_are_built_once():
    assert new_places(np.array([[0.0, 10.0, 5.0, 12.0]])).tolist() == [[0.0, 10.0, 0.0, 2.0]]
    assert shift_earlier(np.array([[1.0, 2.0, 3.0]]), 1).tolist() == [[3.0, 3.0, 0.0]]
