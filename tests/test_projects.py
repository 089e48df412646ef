"""The project that fits the need, funding by year, and development capacity that holds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placeplan.model.capacity import shortfall
from placeplan.model.development import dwellings_before_shortfall, peak_pupils_per_dwelling
from placeplan.model.funding import draw_down, funding_by_year
from placeplan.model.projects import (
    EXPANSION,
    NEW_SCHOOL,
    NONE,
    TEMPORARY,
    choose_projects,
    project_cost_per_place,
)


def test_short_bulge_is_temporary_lasting_need_expands_then_needs_a_school():
    need = np.array([
        [0, 40, 40, 0, 0, 0],  # two years: temporary
        [0, 40, 40, 40, 40, 40],  # lasting, under 1FE: expansion
        [0, 0, 0, 0, 0, 30],  # still short at the horizon: never temporary
        [0, 100, 200, 400, 400, 400],  # beyond 2FE expansion: a new secondary of at least 6FE
        [0, 0, 0, 0, 0, 0],
    ], dtype=float)
    fe = np.array([210, 210, 210, 150, 210.0])
    p = choose_projects(need, fe, np.array([1, 1, 1, 2, 1.0]), np.array([2, 2, 2, 6, 2.0]), 3)
    assert p.kind.tolist() == [TEMPORARY, EXPANSION, EXPANSION, NEW_SCHOOL, NONE]
    assert p.places.sum(axis=1).tolist() == [40, 40, 30, 400, 0]
    assert p.extra_places[3].tolist() == [0, 0, 0, 500, 0, 0]  # 6FE = 900 places, opens when need > 300
    costs = np.array([[0] * 5, [9_935] * 5, [21_014] * 5, [25_089] * 5], dtype=float)
    assert project_cost_per_place(p.kind, costs).tolist() == [9_935, 21_014, 21_014, 25_089, 21_014]


def test_one_form_of_entry_secondary_is_not_a_new_school():
    # The old rule (new_school_fe = 1) priced a 150-place secondary need as a new school.
    p = choose_projects(np.array([[0, 150, 150, 150.0]]), np.array([150.0]), 2.0, 6.0, 3)
    assert p.kind.tolist() == [EXPANSION]


def test_project_settings_are_checked_in_the_settings_table():
    from placeplan.errors import ValidationError
    from placeplan.model.region import Assumptions

    with pytest.raises(ValidationError, match="temporary_max_years"):
        Assumptions(temporary_max_years=11)
    with pytest.raises(ValidationError, match="new_school_min_fe_secondary"):
        Assumptions(new_school_min_fe_secondary=2)


def test_basic_need_pays_non_housing_places_first_and_a_surplus_is_unallocated():
    cost = np.array([[100.0, 100.0, 0.0]])
    housing = np.array([[60.0, 0.0, 0.0]])
    contrib = np.array([[40.0, 0.0, 0.0]])
    bn = np.array([[300.0, 0.0, 0.0]])
    f = funding_by_year(cost, housing, contrib, bn, np.zeros((1, 3)))
    assert f.basic_need_non_housing.tolist() == [[40.0, 100.0, 0.0]]
    assert f.basic_need_housing.tolist() == [[20.0, 0.0, 0.0]]  # small sites' share, after the rest
    assert f.gap.tolist() == [[0.0, 0.0, 0.0]]
    assert f.unallocated.tolist() == [[240.0, 140.0, 140.0]]


def test_money_is_never_borrowed_from_a_later_year():
    used, bal = draw_down(np.array([0.0, 0.0, 50.0]), np.array([30.0, 0.0, 0.0]))
    assert used.tolist() == [0.0, 0.0, 0.0] and bal.tolist() == [0.0, 0.0, 50.0]
    f = funding_by_year(np.array([[30.0, 0, 0]]), np.zeros((1, 3)), np.zeros((1, 3)), np.array([[0, 0, 50.0]]), np.zeros((1, 3)))
    assert f.gap.tolist() == [[30.0, 0.0, 0.0]] and f.unallocated[0, -1] == 50


def test_development_capacity_uses_the_peak_and_the_margin():
    # 864 homes at the average yield; the peak (x1.2) and the 2% margin leave about 705.
    y = 0.25
    spare = 864 * y
    pupils = np.array([[1000.0]])
    capacity = pupils * 1.02 + spare
    out = dwellings_before_shortfall(pupils, capacity, 0.02, np.array([y * 1.2]), np.array([210.0]))
    assert int(out.dwellings_before_shortfall[0]) == 705


def test_peak_of_combined_secondary_and_sixth_form_profile():
    prof = np.array([[1.0, 1.0, 1.0], [0.5, 1.35, 1.0], [0.0, 0.5, 1.5]])
    rows = np.array([[1, 0, 0], [0, 1, 1]], dtype=bool)
    assert peak_pupils_per_dwelling(np.array([0.25, 0.1, 0.02]), prof, rows).tolist() == pytest.approx([0.25, 0.145])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 2000, allow_nan=False), min_size=1, max_size=6),
    st.lists(st.floats(0, 600, allow_nan=False), min_size=1, max_size=6),
    st.floats(0.01, 0.6),
    st.sampled_from([0.0, 0.02, 0.05]),
    st.sampled_from([210.0, 150.0]),
)
def test_building_exactly_the_capacity_creates_no_shortfall_and_one_form_of_entry_more_does(base, spare, peak, h, fe):
    n = min(len(base), len(spare))
    pupils = np.array([base[:n]])
    capacity = pupils * (1 + h) + np.array([spare[:n]])
    out = dwellings_before_shortfall(pupils, capacity, h, np.array([peak]), np.array([fe]))
    homes = out.dwellings_before_shortfall[0]
    need = shortfall(pupils + homes * peak, capacity, h, np.array([fe])).places_needed
    assert need.max() <= 1e-6 * (1 + capacity.max())
    more = homes + np.ceil(out.dwellings_per_form_of_entry[0])
    assert shortfall(pupils + more * peak, capacity, h, np.array([fe])).places_needed.max() > 0
    school = out.dwellings_needing_new_school[0]
    needed = shortfall(pupils + school * peak, capacity, h, np.array([fe])).places_needed.max()
    assert needed >= fe - 1e-6 * (1 + capacity.max())


def test_draws_share_the_rule():
    rng = np.random.default_rng(1)
    need = rng.random((4, 3, 6)) * 500 * (rng.random((4, 3, 6)) > 0.3)
    fe, ex, ns = np.array([210, 150, 210.0]), np.array([1, 2, 1.0]), np.array([2, 6, 2.0])
    batch = choose_projects(need, fe, ex, ns, 3)
    for d in range(4):
        one = choose_projects(need[d], fe, ex, ns, 3)
        assert (batch.kind[d] == one.kind).all()
        np.testing.assert_allclose(batch.extra_places[d], one.extra_places)
        np.testing.assert_allclose(batch.places[d], one.places)


def test_examples_in_the_docstrings_run():
    import doctest

    from placeplan.model import contributions, development, funding, projects

    for module in (projects, contributions, funding, development):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
