"""Monte Carlo ranges: seeded, consistent with the central forecast, vectorised."""

import numpy as np
import pytest

import placeplan as pp
from placeplan.model.uncertainty import Uncertainty, draw_sites, monte_carlo

CERTAIN = dict(yield_cv=0.0, births_cv=0.0, migration_cv=0.0, delivery={}, delay_mean={})


def test_same_seed_same_result_other_seed_differs(demo_region):
    a = monte_carlo(demo_region, settings=Uncertainty(draws=300, seed=7))
    b = monte_carlo(demo_region, settings=Uncertainty(draws=300, seed=7))
    c = monte_carlo(demo_region, settings=Uncertainty(draws=300, seed=8))
    assert a.shortfall.equals(b.shortfall) and a.funding_gap.equals(b.funding_gap)
    assert not a.shortfall["pupils_p90"].equals(c.shortfall["pupils_p90"])


def test_chunking_does_not_change_draws(demo_region):
    a = monte_carlo(demo_region, settings=Uncertainty(draws=500, seed=3), chunk=500)
    b = monte_carlo(demo_region, settings=Uncertainty(draws=500, seed=3), chunk=500)
    np.testing.assert_array_equal(a.shortfall["places_needed_p50"], b.shortfall["places_needed_p50"])


def test_without_uncertainty_every_draw_is_the_central_forecast(demo_region):
    s = Uncertainty(draws=20, **CERTAIN)
    r = monte_carlo(demo_region, settings=s)
    central = pp.forecast(demo_region)
    for q in ("p10", "p50", "p90"):
        np.testing.assert_allclose(r.shortfall[f"pupils_{q}"], central.shortfall["pupils_forecast"], rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(r.shortfall[f"places_needed_{q}"], central.shortfall["places_needed"], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(r.funding_gap["funding_gap_p50"], central.funding_gap["funding_gap"], rtol=1e-6, atol=1.0)
    assert set(np.unique(r.shortfall["probability_short"])) <= {0.0, 1.0}
    np.testing.assert_array_equal(r.shortfall["probability_short"] == 1.0, central.shortfall["places_needed"] > 0)


def test_with_flows_and_straddling_site_matches_central(tiny_region, flows_frame):
    region = tiny_region.replace(flows=flows_frame)
    r = monte_carlo(region, settings=Uncertainty(draws=10, **CERTAIN))
    central = pp.forecast(region)
    np.testing.assert_allclose(r.shortfall["pupils_p50"], central.shortfall["pupils_forecast"], atol=1e-9)


def test_site_built_half_the_time(tiny_region):
    # Only the site's delivery is uncertain: built in half the draws.
    s = Uncertainty(draws=4000, yield_cv=0.0, births_cv=0.0, migration_cv=0.0,
                    delivery={"permissioned": 0.5}, delay_mean={})
    r = monte_carlo(tiny_region, settings=s)
    row = r.shortfall.set_index(["planning_area_code", "academic_year"]).loc[("PA1", "2018/19")]
    assert row["probability_short"] == pytest.approx(0.5, abs=0.03)  # short only when built
    assert row["pupils_p10"] == pytest.approx(200) and row["pupils_p90"] == pytest.approx(225)


def test_quantiles_are_ordered(demo_region):
    r = monte_carlo(demo_region, settings=Uncertainty(draws=400))
    sf = r.shortfall
    for name in ("pupils", "spare_places", "places_needed"):
        assert (sf[f"{name}_p10"] <= sf[f"{name}_p50"] + 1e-6).all()
        assert (sf[f"{name}_p50"] <= sf[f"{name}_p90"] + 1e-6).all()
    assert sf["probability_short"].between(0, 1).all()
    t = r.funding_gap_total
    assert (t["funding_gap_total_p10"] <= t["funding_gap_total_p90"]).all()


def test_delivery_draws_follow_status_probabilities(demo_region):
    built, delay = draw_sites(demo_region, Uncertainty(), 20000, stream=1)
    status = demo_region.sites["status"].to_numpy()
    perm = status == "permissioned"
    assert built[:, perm].mean() == pytest.approx(0.9, abs=0.01)
    assert delay[:, perm].mean() == pytest.approx(0.5, abs=0.02)
    assert delay.max() <= Uncertainty().max_delay


def test_progress_is_reported(demo_region):
    seen = []
    monte_carlo(demo_region, settings=Uncertainty(draws=1000), chunk=250, progress=seen.append)
    assert seen == [0.25, 0.5, 0.75, 1.0]


def test_trajectories_and_delays_match_central_when_certain():
    import pandas as pd

    from placeplan.io.bundle import region_from_frames
    from tests.conftest import tiny_frames

    traj = pd.DataFrame([{"site_id": "S1", "academic_year": 2016, "dwellings": 120.0},
                         {"site_id": "S1", "academic_year": 2018, "dwellings": 80.0}])
    region = region_from_frames(tiny_frames(trajectories=traj), source="tiny")
    a = region.assumptions(delay_years=1)
    r = monte_carlo(region, a, Uncertainty(draws=5, **CERTAIN))
    central = pp.forecast(region, assumptions=a)
    np.testing.assert_allclose(r.shortfall["pupils_p50"], central.shortfall["pupils_forecast"], atol=1e-9)
    assert central.shortfall["housing_pupils"].sum() > 0
