"""With every spread set to zero, every Monte Carlo draw is the central forecast.

For every table the Monte Carlo produces (pupils, spare places, places needed, funding
gap), both baselines and both phases, on the tiny region and on the demo. This caught
the cohort-survival draws that left out the Y6->Y7 feeder and held Reception flat.
"""

import numpy as np
import pandas as pd
import pytest

from placeplan.model.forecast import forecast
from placeplan.model.uncertainty import DELAY, DELIVERY, Uncertainty, monte_carlo

ZERO = dict(yield_cv=0.0, births_cv=0.0, migration_cv=0.0, ratio_residual_scale=0.0,
            delivery={k: 1.0 for k in DELIVERY}, delay_mean={k: 0.0 for k in DELAY})
TOL = dict(rtol=1e-9, atol=1e-6)


def flat_history(region, pupils=30.0, years=range(2011, 2015)) -> pd.DataFrame:
    """The same pupils in every grade each area's phase holds, every past year."""
    pa = region.planning_areas
    rows = [(code, y, g, pupils)
            for code, phase in zip(pa["planning_area_code"], pa["phase"])
            for y in years
            for g in (range(0, 7) if phase == "primary" else range(7, 14))]
    return pd.DataFrame(rows, columns=["planning_area_code", "academic_year", "ncy", "pupils"])


def varied_history(region, years=range(2010, 2015)) -> pd.DataFrame:
    """Pupils that differ by area, grade and year, so past ratios have residuals."""
    rng = np.random.default_rng(4)
    h = flat_history(region, years=years)
    return h.assign(pupils=rng.integers(20, 60, len(h)).astype(float))


def assert_draws_are_central(region, a):
    central = forecast(region, a)
    r = monte_carlo(region, a, Uncertainty(draws=12, **ZERO), keep_draws=True)
    sf, mc = central.shortfall, r.shortfall
    assert list(mc["planning_area_code"]) == list(sf["planning_area_code"])
    for q in ("p10", "p50", "p90"):
        np.testing.assert_allclose(mc[f"pupils_{q}"], sf["pupils_forecast"], **TOL)
        np.testing.assert_allclose(mc[f"spare_places_{q}"], sf["spare_places"], **TOL)
        np.testing.assert_allclose(mc[f"places_needed_{q}"], sf["places_needed"], **TOL)
        np.testing.assert_allclose(r.funding_gap[f"funding_gap_{q}"], central.funding_gap["funding_gap"], rtol=1e-9, atol=1e-3)
        totals = central.funding_gap.groupby("council_code", sort=False)["funding_gap"].sum()
        np.testing.assert_allclose(r.funding_gap_total[f"funding_gap_total_{q}"], totals.to_numpy(), rtol=1e-9, atol=1e-3)
    clear = (sf["places_needed"] > 1e-6) | (sf["places_needed"] == 0)
    np.testing.assert_array_equal((mc["probability_short"] == 1.0)[clear], (sf["places_needed"] > 0)[clear])
    np.testing.assert_allclose(r.pupils_draws, np.broadcast_to(r.pupils_draws[0], r.pupils_draws.shape), rtol=0, atol=0)
    for phase in ("primary", "secondary"):  # every phase has pupils, and the draws keep them
        sel = sf["phase"] == phase
        assert (sf.loc[sel, "pupils_forecast"] > 0).mean() > 0.9
        np.testing.assert_allclose(mc.loc[sel, "pupils_p50"], sf.loc[sel, "pupils_forecast"], **TOL)


@pytest.mark.parametrize("method", ["population", "cohort_survival"])
def test_tiny_region_zero_spread(tiny_region, flows_frame, method):
    region = tiny_region.replace(flows=flows_frame, roll_history=varied_history(tiny_region))
    assert_draws_are_central(region, region.assumptions(baseline_method=method))


@pytest.mark.parametrize("method", ["population", "cohort_survival"])
def test_demo_zero_spread(demo_region, method):
    region = demo_region.replace(roll_history=varied_history(demo_region))
    a = region.assumptions(baseline_method=method, cost_lead_years=1, expansion_max_fe_primary=0.5, new_school_min_fe_primary=1.0)
    assert_draws_are_central(region, a)


def test_flat_history_keeps_secondary_pupils_in_every_draw(tiny_region):
    # The drift of issue 11: a flat history's secondary pupils fell 480, 360, 240, ... in the draws.
    region = tiny_region.replace(roll_history=flat_history(tiny_region))
    a = region.assumptions(baseline_method="cohort_survival")
    central = forecast(region, a).shortfall
    r = monte_carlo(region, a, Uncertainty(draws=50, seed=2))  # default spreads
    sec = central["phase"] == "secondary"
    base = central.loc[sec, "baseline_pupils"].to_numpy()
    assert base.min() == pytest.approx(base.max())  # flat in the central forecast
    # a flat history has no residuals, and no housing here is secondary-heavy: the band holds the baseline
    assert (r.shortfall.loc[sec, "pupils_p10"].to_numpy() >= base.min() - 1e-6).all()


def test_residual_scale_spreads_cohort_draws(demo_region):
    region = demo_region.replace(roll_history=varied_history(demo_region))
    a = region.assumptions(baseline_method="cohort_survival")
    spread = dict(ZERO, ratio_residual_scale=1.0)
    r = monte_carlo(region, a, Uncertainty(draws=200, **spread))
    width = r.shortfall["pupils_p90"] - r.shortfall["pupils_p10"]
    assert (width >= -1e-9).all() and width.max() > 0
