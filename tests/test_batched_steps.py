"""Each step called with a leading draws axis equals the step called draw by draw.

The Monte Carlo composes these very functions over draws (issue 11); where it uses a
step's linear form (a sparse operator) instead, the operator equals the step.
"""

import numpy as np
import pytest
from scipy import sparse

from placeplan.model import baseline as bl
from placeplan.model import contributions as co
from placeplan.model import funding as fund
from placeplan.model.capacity import shortfall
from placeplan.model.completions import paid_share
from placeplan.model.development import spare_after_headroom
from placeplan.model.draws import cohort_survival_draws, phase_totals
from placeplan.model.flows import apply_flows, flows_operator
from placeplan.model.forecast import forecast_arrays
from placeplan.model.geography import area_pupils, site_area_operator, site_weights
from placeplan.model.index import region_index
from placeplan.model.population import resident_by_area
from placeplan.model.projects import choose_projects, project_cost_per_place
from placeplan.model.uncertainty import Uncertainty
from placeplan.model.yields import housing_pupils, lag_operator
from tests.test_zero_spread import varied_history

N, A, Y, C, S, P, G = 4, 5, 6, 2, 3, 5, 14
rng = np.random.default_rng(11)
PPF = np.array([210.0, 210.0, 150.0, 150.0, 210.0])
COUNCIL = np.array([0, 1, 0, 1, 1])


def each_draw(batched, single, *arrays):
    out = batched(*arrays)
    outs = out if isinstance(out, tuple) else (out,)
    for n in range(arrays[0].shape[0]):
        one = single(*(x[n] for x in arrays))
        ones = one if isinstance(one, tuple) else (one,)
        for b, o in zip(outs, ones):
            np.testing.assert_allclose(b[n], o, rtol=1e-13, atol=1e-9)


def test_shortfall_batched():
    pupils = rng.uniform(0, 400, (N, A, Y))
    capacity = rng.uniform(100, 400, (A, Y))
    for field in ("places_needed", "spare_places", "headroom_places", "forms_of_entry_needed"):
        each_draw(lambda p, f=field: getattr(shortfall(p, capacity, 0.02, PPF), f),
                  lambda p, f=field: getattr(shortfall(p, capacity, 0.02, PPF), f), pupils)
    sf = lambda p: shortfall(p, capacity, 0.05, PPF)  # noqa: E731
    each_draw(lambda p: spare_after_headroom(sf(p), 0.05), lambda p: spare_after_headroom(sf(p), 0.05), pupils)


def test_new_places_projects_and_shift_batched():
    need = rng.uniform(-10, 300, (N, A, Y))
    each_draw(fund.new_places, fund.new_places, need)
    ex, ns = np.array([1, 2, 4, 6, 2.0]), np.array([2, 2, 6, 6, 2.0])
    for field in ("kind", "places", "extra_places"):
        each_draw(lambda x, f=field: getattr(choose_projects(x, PPF, ex, ns, 3), f),
                  lambda x, f=field: getattr(choose_projects(x, PPF, ex, ns, 3), f), need)
    table = rng.uniform(1e4, 3e4, (4, A))
    kinds = rng.integers(0, 4, (N, A))
    each_draw(lambda k: project_cost_per_place(k, table), lambda k: project_cost_per_place(k, table), kinds)
    each_draw(lambda x: fund.shift_earlier(x, 2), lambda x: fund.shift_earlier(x, 2), need)


def test_attribution_and_funding_by_year_batched():
    pairs = co.Pairs(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 3, 4]), np.array([0.6, 0.4, 1.0, 0.5, 0.5]),
                     COUNCIL[[0, 1, 1, 3, 4]], A, (0,))
    q = rng.uniform(0, 30, (N, 5, Y))
    places = rng.uniform(0, 20, (N, A, Y))
    price = rng.uniform(1e4, 3e4, (N, A))
    cap = rng.uniform(10, 200, (N, 5))
    pays = np.array([True, True, False, True, True])
    for field in ("places", "amount", "cap", "sought_by_year", "unfunded_by_year", "housing_cost"):
        def one(qq, pl, pr, k, f=field):
            return getattr(co.attribute(pairs, qq, pl, pr, k, COUNCIL, C, pays), f)
        each_draw(one, one, q, places, price, cap)
    bn, other = rng.uniform(0, 1e6, (C, Y)), rng.uniform(0, 1e5, (C, Y))
    for field in ("gap", "unallocated", "contributions", "other_used"):
        def money(c, h, k, f=field):
            return getattr(fund.funding_by_year(c, h, k, bn, other), f)
        each_draw(money, money, rng.uniform(0, 1e7, (N, C, Y)), rng.uniform(0, 5e6, (N, C, Y)),
                  rng.uniform(0, 1e6, (N, C, Y)))


def test_group_sum_batched():
    values = rng.uniform(0, 10, (N, A, Y))
    each_draw(lambda v: fund.group_sum(v, COUNCIL, C, axis=-2), lambda v: fund.group_sum(v, COUNCIL, C), values)


def test_housing_pupils_and_paid_share_batched():
    built = rng.uniform(0, 50, (N, S, Y))
    yields = rng.uniform(0, 0.4, (N, S, P))
    lag = lag_operator(rng.uniform(0.5, 1.5, (P, Y)))
    each_draw(lambda b, y: housing_pupils(b, y, lag), lambda b, y: housing_pupils(b, y, lag), built, yields)
    dwellings = rng.uniform(0, 300, (N, S))
    each_draw(paid_share, paid_share, built, dwellings)


def test_grade_progression_batched_with_feeder():
    last = rng.uniform(0, 60, (N, A, G))
    ratios = rng.uniform(0.9, 1.1, (N, A, G - 1))
    intakes = rng.uniform(20, 40, (A, Y))
    feeder = np.zeros((A, A))
    feeder[0, 2], feeder[1, 3], feeder[4, 2] = 1.0, 0.7, 0.4
    mask = np.zeros((A, G), dtype=bool)
    mask[[0, 1, 4], :7] = True
    mask[[2, 3], 7:] = True

    def step(x, r):
        return bl.grade_progression(x, r, intakes, feeder=feeder)

    each_draw(step, step, last, ratios)
    each_draw(lambda x, r: bl.grade_progression(x, r, intakes, feeder=feeder, mask=mask),
              lambda x, r: np.where(mask[:, None, :], step(x, r), 0.0).sum(axis=-1), last, ratios)
    # ratios that change by year (the draws) equal a year-by-year run
    yearly = rng.uniform(0.9, 1.1, (Y, A, G - 1))
    got = bl.grade_progression(last[0], lambda t: yearly[t], intakes, feeder=feeder)
    cur = last[0]
    for t in range(Y):
        cur = bl.grade_progression(cur, yearly[t], intakes[:, t:t + 1], feeder=feeder)[:, 0, :]
        np.testing.assert_allclose(got[:, t, :], cur, rtol=1e-13)


@pytest.fixture
def region(tiny_region, flows_frame):
    return tiny_region.replace(flows=flows_frame, roll_history=varied_history(tiny_region))


def test_site_area_operator_is_area_pupils(region):
    a = region.assumptions()
    x = forecast_arrays(region, a)
    idx = x.idx
    weights = site_weights(region, idx.areas)
    op = site_area_operator(x.pupils, weights)
    flows = flows_operator(region, idx.areas)
    move = sparse.kron(flows, sparse.identity(len(idx.years)), format="csr")
    built = np.ones(op.shape[0])
    by_op = (built @ (op @ move)).reshape(len(idx.areas), len(idx.years))
    np.testing.assert_allclose(by_op, apply_flows(area_pupils(x.pupils, weights), flows).sum(axis=2), rtol=1e-12)
    np.testing.assert_allclose(by_op, x.housing.sum(axis=2), rtol=1e-12)


def test_cohort_draws_with_zero_residuals_are_the_central_baseline(region):
    a = region.assumptions(baseline_method="cohort_survival")
    idx = region_index(region, a.horizon)
    cohort = bl.cohort_inputs(region, idx, a, *resident_by_area(region, idx, a))
    draws = cohort_survival_draws(cohort, idx.grade_mask, 3, Uncertainty(ratio_residual_scale=0.0), stream=1)
    central, _ = bl.baseline(region, idx, a)
    for n in range(3):
        np.testing.assert_array_equal(draws[n], phase_totals(central, idx.grade_mask))
    spread = cohort_survival_draws(cohort, idx.grade_mask, 3, Uncertainty(), stream=1)
    assert not np.allclose(spread[0], spread[1])


def test_council_operator_is_group_sum(region):
    from placeplan.model.uncertainty import site_council_operator

    values = rng.uniform(0, 10, (4, 3))
    council = np.array([0, 1, 1, 0])
    op = site_council_operator(council, 2, 3)(values)
    np.testing.assert_allclose((op @ np.ones(4)).reshape(2, 3), fund.group_sum(values, council, 2), rtol=1e-13)


def test_group_sum_paths_give_the_same_bits(monkeypatch):
    values = rng.normal(size=(40, 30, 15))
    index = rng.integers(-1, 3, 30)
    monkeypatch.setattr(fund, "_SMALL", 10**9)
    small = fund.group_sum(values, index, 3, axis=-2)
    monkeypatch.setattr(fund, "_SMALL", 0)
    np.testing.assert_array_equal(fund.group_sum(values, index, 3, axis=-2), small)
