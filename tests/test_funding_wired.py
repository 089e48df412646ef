"""Issue 13's invariants on the wired forecast (the tiny region, placeplan.testing).

Each test runs :func:`placeplan.forecast` end to end, so it checks the rules as the
product composes them: project choice, contributions by receiving area, funding by year.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import placeplan as pp
from placeplan.io.bundle import region_from_frames
from placeplan.model.forecast import forecast
from placeplan.testing import X0, Y0, tiny_frames

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no slow shrinking of a whole forecast


def region(dwellings=200.0, cap_a=210.0, cap_b=420.0, funding=None, cost_scale=1.0, flows=None, site_box=None,
           cap_secondary=None, build_rate=None):
    frames = tiny_frames()
    frames["sites"].loc[0, ["dwellings", "build_rate"]] = [dwellings, build_rate or max(dwellings / 2, 1.0)]
    if site_box is not None:
        frames["sites"].loc[0, "geometry"] = site_box
    frames["schools"].loc[0, "capacity_primary"] = cap_a
    frames["schools"].loc[1, "capacity_primary"] = cap_b
    if cap_secondary is not None:
        frames["schools"].loc[[2, 3], "capacity_secondary"] = cap_secondary
    frames["costs"] = frames["costs"].assign(cost_per_place=frames["costs"]["cost_per_place"] * cost_scale)
    if funding is not None:
        frames["funding"] = funding
    if flows is not None:
        frames["flows"] = flows
    return region_from_frames(frames, source="tiny")


def totals(res) -> pd.Series:
    return res.funding_gap.groupby("council_code")[["cost", "housing_cost", "contributions", "funding_gap"]].sum()


@FAST
@given(st.floats(10, 3000))
def test_a_site_whose_pupils_spare_places_absorb_pays_nothing(dwellings):
    res = pp.forecast(region(dwellings, cap_a=5000.0, cap_b=5000.0, cap_secondary=5000.0))
    assert res.contributions["contribution"].sum() == 0
    assert res.sites["contribution_total"].sum() == 0
    assert res.shortfall["places_needed"].max() == 0


@FAST
@given(st.floats(10, 3000), st.floats(150, 800), st.floats(150, 800))
def test_contributions_never_exceed_the_cost_of_the_places_housing_needs(dwellings, cap_a, cap_b):
    res = pp.forecast(region(dwellings, cap_a, cap_b))
    t = totals(res)
    assert (t["contributions"] <= t["housing_cost"] * (1 + 1e-9) + 1e-6).all()
    assert (t["housing_cost"] <= t["cost"] * (1 + 1e-9) + 1e-6).all()
    # and no site pays more than DfE's formula
    con = res.contributions
    assert (con["contribution"] <= con["formula_cap"] * (1 + 1e-9) + 1e-6).all()


@FAST
@given(st.floats(10, 3000), st.floats(150, 800), st.floats(1.0, 3.0), st.floats(0, 2e6))
def test_raising_a_cost_per_place_never_lowers_a_gap(dwellings, cap_a, scale, basic_need):
    funding = pd.DataFrame([{"council_code": "A", "academic_year": 2017, "source": "basic_need", "amount": basic_need}])
    before = pp.forecast(region(dwellings, cap_a, funding=funding)).funding_gap["funding_gap"].to_numpy()
    after = pp.forecast(region(dwellings, cap_a, funding=funding, cost_scale=scale)).funding_gap["funding_gap"].to_numpy()
    assert (np.cumsum(after) >= np.cumsum(before) - 1e-6).all()
    assert after.sum() >= before.sum() - 1e-6


def test_a_site_whose_pupils_cross_the_border_pays_the_receiving_council():
    # 200 homes wholly in Aville; all Aville primary pupils attend Beeton's full area.
    flows = pd.DataFrame([{"from_planning_area": "PA1", "to_planning_area": "PB1", "phase": "primary", "share": 1.0}])
    res = pp.forecast(region(200.0, cap_a=5000.0, cap_b=306.0, flows=flows,
                             site_box=box(X0 + 200, Y0 + 200, X0 + 1800, Y0 + 1800)))
    primary = res.contributions[res.contributions["phase"] == "primary"]
    assert set(primary["receiving_council_code"]) == {"B"}
    assert primary["contribution"].sum() > 0
    fg = res.funding_gap.groupby("council_code")["contributions"].sum()
    assert fg["B"] >= primary["contribution"].sum() - 1e-6
    assert (res.contributions["council_code"] == "A").all()  # the site stays Aville's


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.floats(150, 2000), st.sampled_from([0.0, 0.02, 0.05]))
def test_building_exactly_the_development_headroom_creates_no_shortfall(cap_a, headroom):
    inside_a = box(X0 + 200, Y0 + 200, X0 + 1800, Y0 + 1800)
    empty = region(0.0, cap_a=cap_a, site_box=inside_a)
    a = empty.assumptions(baseline_method="none", headroom=headroom)
    dh = forecast(empty, a).development_headroom.set_index("planning_area_code").loc["PA1"]
    homes = float(dh["dwellings_before_shortfall"])
    built = region(homes, cap_a=cap_a, site_box=inside_a, build_rate=max(homes, 1.0))
    need = forecast(built, a).shortfall.set_index("planning_area_code").loc["PA1", "places_needed"]
    assert need.max() <= 1e-9 * cap_a  # at the boundary: rounding only
    more = homes + np.ceil(dh["dwellings_per_form_of_entry"])  # one form of entry more
    need = forecast(region(more, cap_a=cap_a, site_box=inside_a, build_rate=more), a).shortfall
    assert need.set_index("planning_area_code").loc["PA1", "places_needed"].max() > 0


@FAST
@given(st.floats(10, 3000), st.floats(150, 800), st.floats(0, 5e6), st.floats(0, 5e6))
def test_the_funding_gap_is_never_negative(dwellings, cap_a, basic_need, other):
    funding = pd.DataFrame([
        {"council_code": "A", "academic_year": 2016, "source": "basic_need", "amount": basic_need},
        {"council_code": "B", "academic_year": 2018, "source": "other", "amount": other},
    ])
    fg = pp.forecast(region(dwellings, cap_a, funding=funding)).funding_gap
    assert (fg["funding_gap"] >= 0).all()
    assert (fg["unallocated_funding"] >= 0).all()
    # every pound counted once: gap + contributions + grants used = cost
    used = fg["contributions"] + fg["basic_need_used"] + fg["other_funding_used"]
    np.testing.assert_allclose(fg["funding_gap"] + used, fg["cost"], rtol=1e-9, atol=1e-3)
    assert (fg["basic_need_used"] <= fg.groupby("council_code")["basic_need"].cumsum() + 1e-6).all()


def test_early_years_not_costed_unless_the_council_sets_a_cost():
    frames = tiny_frames()
    frames["yields"].loc[frames["yields"]["phase"] == "early_years", "pupils_per_dwelling"] = 0.063
    res = pp.forecast(region_from_frames(frames, source="tiny"))
    assert set(res.funding_gap["early_years"]) == {"not costed"}
    assert "early_years" not in set(res.contributions["phase"])
    frames["costs"] = pd.concat([frames["costs"], pd.DataFrame([
        {"council_code": c, "phase": "early_years", "project_type": "expansion", "cost_per_place": 15_000.0,
         "location_factor": 1.0, "price_base": "2024/25"} for c in ("A", "B")])], ignore_index=True)
    reg = region_from_frames(frames, source="tiny")
    res = pp.forecast(reg)
    ey = res.contributions[res.contributions["phase"] == "early_years"]
    assert set(res.funding_gap["early_years"]) == {"costed"}
    assert ey["contribution"].sum() == pytest.approx(200 * 0.063 * 15_000)  # every pupil needs a place, capped
    off = forecast(reg, reg.assumptions(charge_early_years=False)).contributions
    assert off.loc[off["phase"] == "early_years", "contribution"].sum() == 0
    assert off.loc[off["phase"] == "early_years", "unfunded_cost"].sum() == pytest.approx(200 * 0.063 * 15_000)
