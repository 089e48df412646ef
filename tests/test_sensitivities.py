"""The births and migration sensitivities, all councils in one pass, equal the step run one council at a time."""

import numpy as np

from placeplan.model.baseline import baseline, participation, population_shares
from placeplan.model.constants import AGE_OFFSET, N_NCY
from placeplan.model.draws import baseline_sensitivities, phase_totals
from placeplan.model.geography import area_sum, zone_weights
from placeplan.model.index import region_index
from placeplan.model.population import (
    age_population,
    cohort_ratios,
    damp,
    resident_by_area,
    resident_children,
)
from placeplan.model.shares import apply_shares


def one_council(region, idx, a, c, births: bool) -> np.ndarray:
    """The definition: council ``c``'s wards aged with its births (or net migration) 1% higher,
    participation x the change, given to areas by ``apply_shares``, per unit of relative change."""
    eps = 0.01
    zc = idx.councils.get_indexer(region.zones["council_code"].astype(str))
    rows = np.flatnonzero(zc == c)
    resident = resident_children(region, idx, a)
    _, res_area = resident_by_area(region, idx, a)
    _, rolls = baseline(region, idx, a)
    part = np.nan_to_num(participation(rolls, res_area[:, :, 0]))
    r = damp(cohort_ratios(region.cohort_change, idx.councils), a.migration_damping)[zc][rows]
    base, path = resident[rows, :, 0], resident[rows, 0, 1:]
    new = age_population(base, r, path * (1 + eps)) if births else age_population(base, 1 + (r - 1) * (1 + eps), path)
    delta = area_sum(zone_weights(region, idx.areas).tocsr()[rows], (new - resident[rows])[:, np.arange(N_NCY) + AGE_OFFSET, :])
    area = np.where(idx.grade_mask[:, None, :], (part[:, :, None] * delta[:, :, 1:]).transpose(0, 2, 1), 0.0)
    shares = population_shares(idx, a, rolls)
    return phase_totals(apply_shares(area, shares, idx.area_council, len(idx.councils)), idx.grade_mask) / eps


def test_sensitivities_equal_one_council_at_a_time(demo_region):
    a = demo_region.assumptions()
    idx = region_index(demo_region, a.horizon)
    d_births, d_mig = baseline_sensitivities(demo_region, idx, a)
    n_c = len(idx.councils)
    assert d_births.shape == d_mig.shape == (n_c, len(idx.areas) * a.horizon)
    assert d_births.nnz > 0 and d_mig.nnz > 0
    for c in range(n_c):
        for births, d in ((True, d_births), (False, d_mig)):
            expected = one_council(demo_region, idx, a, c, births).ravel()
            assert np.array_equal(d[c].toarray().ravel(), expected)  # same sums in the same order
