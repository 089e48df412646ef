"""Contributions by receiving area (reg. 122): hand-worked examples and invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from placeplan.model import contributions as co
from placeplan.model.funding import funding_by_year
from placeplan.model.projects import choose_projects, project_cost_per_place


def pairs_of(weights, area_council, flows=None):
    """Pairs of one phase from dense (site x area) weights (and a flow matrix)."""
    w = sparse.csr_matrix(np.asarray(weights, dtype=float))
    w = sparse.coo_matrix(w if flows is None else w @ flows)
    keep = w.data > 0
    return co.Pairs(w.row[keep], w.col[keep], w.data[keep], np.asarray(area_council)[w.col[keep]], w.shape[1], (0,))


def amounts(pairs, values, n_site, n_council):
    """Per-pair values summed to (site, receiving council)."""
    out = np.zeros((n_site, n_council))
    np.add.at(out, (pairs.site, pairs.council), values)
    return out


def attribute(pairs, site_pupils, places, cost, cap_pupils, area_council, n_council, large, charged=True):
    q = co.pair_pupils(pairs, np.asarray(site_pupils, dtype=float)[:, None, :])
    pays = np.asarray(large, dtype=bool)[pairs.site] & charged
    return co.attribute(pairs, q, places, np.nan_to_num(cost), pairs.share * np.asarray(cap_pupils)[pairs.site],
                        area_council, n_council, pays)


def run(base, housing_site, capacity, weights, cost, cap_pupils, area_council, n_council, large=None, h=0.02):
    """Attribution of one phase from arrays (the chain the forecast composes)."""
    pairs = pairs_of(weights, area_council)
    q = co.pair_pupils(pairs, np.asarray(housing_site, dtype=float)[:, None, :])
    housing = np.zeros_like(np.asarray(base, dtype=float))
    np.add.at(housing, pairs.unit, q)
    need_with, need_housing = co.housing_need(base, housing, capacity, h)
    places = co.housing_places(need_with, need_housing)
    large = np.ones(len(cap_pupils), bool) if large is None else large
    att = attribute(pairs, housing_site, places, cost, cap_pupils, area_council, n_council, large)
    return att, pairs


def test_40_homes_using_the_last_6_spare_places_pay_for_4_2_places():
    # 40 homes x 0.25 = 10 pupils; 6 places spare after the 2% margin -> 10 x 1.02 - 6 = 4.2.
    att, _ = run(np.array([[100.0]]), np.array([[10.0]]), np.array([[108.0]]), np.array([[1.0]]),
                 np.array([20_000.0]), np.array([40 * 0.25]), np.array([0]), 1)
    assert att.places[0] == pytest.approx(4.2)
    assert att.sought_by_year.sum() == pytest.approx(84_000)
    assert att.cap[0] == pytest.approx(200_000)  # the old all-or-nothing charge, now the cap


def test_pupils_crossing_a_border_pay_the_receiving_council():
    # 200 homes in A (area 0, council 0) whose pupils all go to B's full area (area 1, council 1).
    flows = sparse.csr_matrix(np.array([[0.0, 1.0], [0.0, 1.0]]))
    pairs = pairs_of(np.array([[1.0, 0.0]]), np.array([0, 1]), flows)
    pupils = np.array([[50.0]])
    base = np.array([[300.0], [600.0]])
    capacity = np.array([[400.0], [612.0]])  # B: 600 x 1.02 = 612, full
    housing = np.array([[0.0], [50.0]])
    need_with, need_housing = co.housing_need(base, housing, capacity, 0.02)
    places = co.housing_places(need_with, need_housing)
    att = attribute(pairs, pupils, places, np.array([21_014.0, 22_000.0]), np.array([50.0]),
                    np.array([0, 1]), 2, np.array([True]))
    by = amounts(pairs, att.amount, 1, 2)
    assert need_with[1, 0] == pytest.approx(51)  # 50 x 1.02
    assert by[0, 0] == 0
    assert by[0, 1] == pytest.approx(50 * 22_000)  # never more places than pupils
    assert att.sought_by_year[1].sum() == pytest.approx(50 * 22_000)


def test_short_early_then_spare_when_the_site_arrives_pays_nothing():
    # Area short by 4.6 in year 0 only (from another site), 90+ spare when this site's pupils arrive.
    base = np.array([[100.0, 60.0, 60.0]])
    capacity = np.full((1, 3), 100.0)
    pupils = np.array([[4.0, 0.0, 0.0], [0.0, 0.0, 25.0]])
    att, pairs = run(base, pupils, capacity, np.ones((2, 1)), np.array([20_000.0]), np.array([4.0, 25.0]),
                     np.array([0]), 1)
    by = amounts(pairs, att.amount, 2, 1)
    assert by[1].sum() == 0
    assert by[0].sum() > 0


def test_small_sites_share_is_the_unfunded_cost_per_council():
    att, _ = run(np.array([[100.0]]), np.array([[5.0], [5.0]]), np.array([[100.0]]), np.ones((2, 1)),
                 np.array([10_000.0]), np.array([5.0, 5.0]), np.array([0]), 1, large=np.array([True, False]))
    assert att.sought_by_year.sum() == pytest.approx(att.unfunded_by_year.sum())
    assert att.sought_by_year.sum() + att.unfunded_by_year.sum() == pytest.approx(att.housing_cost.sum())


def test_uncharged_phase_is_unfunded_and_not_costed_is_nothing():
    pairs = co.council_pairs(np.array([0]), 0, 1)
    places = np.array([[0.0, 6.3]])  # every pupil needs a place: no capacity modelled
    att = attribute(pairs, np.array([[0.0, 6.3]]), places, np.array([15_000.0]), np.array([6.3]),
                    np.arange(1), 1, np.array([True]), charged=False)
    assert att.sought_by_year.sum() == 0 and att.unfunded_by_year.sum() == pytest.approx(6.3 * 15_000)
    att = attribute(pairs, np.array([[0.0, 6.3]]), places, np.array([np.nan]), np.array([6.3]),
                    np.arange(1), 1, np.array([True]))
    assert att.amount.sum() == 0 and att.housing_cost.sum() == 0


@pytest.mark.parametrize(
    "dwellings, yield_, cost, factor, expected",
    [
        (100, 0.25, 12_257, 0.97, 297_232.25),  # Leeds 2014, primary
        (100, 0.10, 18_469, 0.97, 179_149.30),  # Leeds 2014, secondary
        (100, 0.25, 18_990, 1.0, 474_750.00),  # North Yorkshire 2025/26 primary expansion
        (100, 0.25, 22_672, 1.0, 566_800.00),  # North Yorkshire primary new school
        (100, 0.10, 26_117, 1.0, 261_170.00),  # North Yorkshire secondary expansion
        (100, 0.009, 75_960, 1.0, 68_364.00),  # North Yorkshire SEND (4 x primary expansion)
    ],
)
def test_worked_examples_are_the_cap(dwellings, yield_, cost, factor, expected):
    """In a full area every pupil needs a place, so a site pays exactly DfE's formula."""
    pupils = dwellings * yield_
    att, _ = run(np.array([[0.0, 500.0, 500.0]]), np.array([[0.0, pupils, pupils]]), np.array([[510.0] * 3]),
                 np.array([[1.0]]), np.array([cost * factor]), np.array([pupils]), np.array([0]), 1)
    assert float(co.dfe_formula(dwellings, yield_, cost, factor)) == pytest.approx(expected, abs=0.005)
    assert att.cap[0] == pytest.approx(expected, abs=0.005)
    assert att.sought_by_year.sum() == pytest.approx(expected, abs=0.005)


# --------------------------------------------------------------------------- invariants

@st.composite
def regions(draw):
    n_site, n_area, n_year = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    floats = st.floats(0, 200, allow_nan=False, width=32)

    def arr(*shape):
        size = int(np.prod(shape))
        return np.array(draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)

    weights = arr(n_site, n_area) + 1e-3
    weights /= weights.sum(axis=1, keepdims=True)
    return dict(
        base=arr(n_area, n_year) * 5, pupils=arr(n_site, n_year) / 4, capacity=arr(n_area, n_year) * 5,
        weights=weights, cost=arr(n_area) * 100 + 1_000, cap=arr(n_site) / 4,
        area_council=np.array(draw(st.lists(st.integers(0, 1), min_size=n_area, max_size=n_area))),
        large=np.array(draw(st.lists(st.booleans(), min_size=n_site, max_size=n_site))),
        h=draw(st.sampled_from([0.0, 0.02, 0.05])),
        bn=arr(2, n_year) * 1_000, other=arr(2, n_year) * 500,
    )


def chain(r, cost=None):
    """Need -> project -> cost per place -> attribution -> funding by year."""
    cost = r["cost"] if cost is None else cost
    pairs = pairs_of(r["weights"], r["area_council"])
    q = co.pair_pupils(pairs, r["pupils"][:, None, :])
    housing = np.zeros_like(r["base"])
    np.add.at(housing, pairs.unit, q)
    need_with, need_housing = co.housing_need(r["base"], housing, r["capacity"], r["h"])
    proj = choose_projects(need_with, np.full(len(cost), 210.0), 2.0, 2.0, 3)
    table = np.vstack([cost, cost * 0.5, cost, cost * 1.2])
    cpp = project_cost_per_place(proj.kind, table)
    att = attribute(pairs, r["pupils"], co.housing_places(need_with, need_housing), cpp, r["cap"],
                    r["area_council"], 2, r["large"])
    att = dict(att=att, pairs=pairs, by=amounts(pairs, att.amount, len(r["pupils"]), 2),
               cap=amounts(pairs, att.cap, len(r["pupils"]), 2).sum(axis=1))
    area_cost = proj.places * cpp[:, None] + proj.extra_places * table[3][:, None]
    cost_c = np.zeros((2, area_cost.shape[1]))
    np.add.at(cost_c, r["area_council"], area_cost)
    a = att["att"]
    return att, funding_by_year(cost_c, a.housing_cost, a.sought_by_year, r["bn"], r["other"])


@settings(max_examples=60, deadline=None)
@given(regions())
def test_contributions_never_exceed_the_cost_of_the_places_housing_needs(r):
    out, fund = chain(r)
    att = out["att"]
    assert (att.sought_by_year + att.unfunded_by_year <= att.housing_cost * (1 + 1e-9) + 1e-6).all()
    assert (out["by"].sum(axis=1) <= out["cap"] * (1 + 1e-9) + 1e-6).all()
    assert (fund.gap >= 0).all() and (fund.unallocated >= 0).all()
    assert (fund.gap <= fund.cost + 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(regions())
def test_a_site_whose_pupils_spare_places_absorb_pays_nothing(r):
    reached = r["weights"][0] > 0
    r["capacity"][reached] = (r["base"][reached] + r["pupils"].sum()) * (1 + r["h"]) + 1
    out, _ = chain(r)
    assert out["by"][0].sum() == 0


@settings(max_examples=60, deadline=None)
@given(regions(), st.integers(0, 2), st.floats(1.0, 3.0))
def test_raising_a_cost_per_place_never_lowers_a_gap(r, area, factor):
    area = area % len(r["cost"])
    _, before = chain(r)
    cost = r["cost"].copy()
    cost[area] *= factor
    _, after = chain(r, cost)
    assert (after.gap >= before.gap - 1e-6 * (1 + before.gap)).all()


@settings(max_examples=60, deadline=None)
@given(regions())
def test_a_site_whose_pupils_cross_a_border_pays_the_receiving_council(r):
    r["area_council"] = np.arange(len(r["cost"])) % 2
    r["weights"][0] = np.where(r["area_council"] == 1, 1.0, 0.0)  # site 0's pupils all go to council 1
    if r["weights"][0].sum() == 0:
        r["weights"][0, 0] = 1.0
        r["area_council"][0] = 1
    r["weights"][0] /= r["weights"][0].sum()
    out, _ = chain(r)
    assert out["by"][0, 0] == 0
