"""What the Monte Carlo draws, and the forecast's steps prepared for many draws at once.

Each function here composes the central forecast's own steps (:mod:`placeplan.model.forecast`);
the draws differ from the central forecast only by what is drawn. See docs/uncertainty.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from placeplan.model.baseline import (
    CohortInputs,
    baseline,
    grade_progression,
    participation,
    population_shares,
)
from placeplan.model.constants import AGE_OFFSET, N_NCY
from placeplan.model.flows import flows_operator
from placeplan.model.geography import site_area_operator, site_weights, zone_weights
from placeplan.model.population import (
    age_population,
    cohort_ratios,
    damp,
    resident_by_area,
    resident_children,
)
from placeplan.model.shares import council_sum
from placeplan.model.util import cached_on
from placeplan.model.yields import site_pupils

if TYPE_CHECKING:
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region
    from placeplan.model.uncertainty import Uncertainty

__all__ = ["stream_rng", "draw_sites", "lognormal_mean_one", "housing_operator", "housing_operators", "phase_totals",
           "baseline_sensitivities", "cohort_survival_draws"]


def stream_rng(seed: int, stream: int) -> np.random.Generator:
    """Independent, reproducible random streams per input and per chunk of draws."""
    return np.random.default_rng([seed, stream])


def housing_operator(region: Region, idx: RegionIndex, a: Assumptions, delay: int):
    """The forecast's housing steps with every site's start ``delay`` years later.

    Returns
    -------
    op : sparse (S, A*Y)
        Each site's pupils by school planning area and year (area phase totals, after
        flows): :func:`~placeplan.model.geography.site_area_operator` of
        :func:`~placeplan.model.yields.site_pupils` times ``kron(F, I_Y)``
        (:func:`~placeplan.model.flows.apply_flows` on (area, year)).
    op_gross : sparse (S, A*Y)
        The same from every home built (not net of background; ``op`` itself without
        netting): the pupils contributions are shared by.
    gross : (S, P, Y)
        Each site's pupils per phase and year from every home built
        (:func:`~placeplan.model.yields.site_pupils` with ``netted=False``).
    dwellings : (S,)
    yields : (S, P)
    """
    weights = site_weights(region, idx.areas)
    move = sparse.kron(flows_operator(region, idx.areas), sparse.identity(len(idx.years)), format="csr")
    dwellings, _, yields, pupils = site_pupils(region, idx, a, delay=delay)
    gross = site_pupils(region, idx, a, delay=delay, netted=False)[3] if a.netting else pupils
    op = site_area_operator(pupils, weights) @ move
    return op, (site_area_operator(gross, weights) @ move if a.netting else op), gross, dwellings, yields


def housing_operators(region: Region, idx: RegionIndex, a: Assumptions, max_delay: int):
    """:func:`housing_operator` for every start delay ``d = 0..max_delay``.

    Returns
    -------
    ops, ops_gross : lists of sparse (S, A*Y), one per delay
    pupils : (D+1, S, P, Y)
        ``gross`` of each delay.
    dwellings : (S,)
    """
    each = [housing_operator(region, idx, a, d) for d in range(max_delay + 1)]
    return [e[0] for e in each], [e[1] for e in each], np.stack([e[2] for e in each]), each[0][3]


def draw_sites(region: Region, settings: Uncertainty, n: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether each site is built (N, S) and its start delay in years (N, S)."""
    status = region.sites["status"].astype(str).to_numpy()
    p = np.array([settings.delivery.get(s, 1.0) for s in status])
    lam = np.array([settings.delay_mean.get(s, 0.0) for s in status])
    rng = stream_rng(settings.seed, stream)
    built = rng.random((n, len(status))) < p
    delay = np.minimum(rng.poisson(lam, size=(n, len(status))), settings.max_delay)
    return built, delay


def lognormal_mean_one(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    """Lognormal multipliers with mean 1 and coefficient of variation ``cv`` (exactly 1 when 0)."""
    sigma = np.sqrt(np.log1p(cv**2))
    return np.exp(sigma * rng.standard_normal(size) - sigma**2 / 2)


def phase_totals(pupils: np.ndarray, grade_mask: np.ndarray) -> np.ndarray:
    """(..., A, Y, G) -> (..., A, Y), counting only the grades each area holds."""
    return np.where(grade_mask[:, None, :], pupils, 0.0).sum(axis=-1)


def baseline_sensitivities(region: Region, idx: RegionIndex, a: Assumptions) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """d(baseline)/d(relative births change) and d/d(relative net-migration change) per council.

    Returns two sparse (C, A*Y) matrices of pupils per area and year (area phase totals):
    row ``c`` is what a relative change in council ``c``'s births (or net migration) moves.

    Notes
    -----
    The population baseline is participation x residents; births and migration change
    residents after the base year only, so the baseline changes by participation x the
    change in residents (:func:`~placeplan.model.baseline.resident_children` with the
    council's births, or its cohort change ratios less 1, scaled by ``1 + eps``), given to
    the planning areas by their shares of the council as the central baseline is
    (:func:`~placeplan.model.shares.apply_shares`, linear).

    Every council at once: each ward's residents are aged with its own council's change
    (rows are independent), the changes are summed per (council of the ward, planning area)
    pair, then per (council of the ward, council of the area) block, and each block's total
    goes to the receiving council's areas by their shares: ``apply_shares`` of one council's
    change, for all councils in one pass (the same sums in the same order as one council at
    a time).
    """

    def compute():
        zw = zone_weights(region, idx.areas).tocoo()
        ages = np.arange(N_NCY) + AGE_OFFSET
        zones_council = idx.councils.get_indexer(region.zones["council_code"].astype(str))
        resident = resident_children(region, idx, a)
        _, res_area = resident_by_area(region, idx, a)
        _, rolls = baseline(region, idx, a)
        part = np.nan_to_num(participation(rolls, res_area[:, :, 0]))
        n_c, n_area, n_zone = len(idx.councils), len(idx.areas), len(zones_council)
        shares = population_shares(idx, a, rolls)
        eps = 0.01
        base = resident[:, :, 0]
        r_all = damp(cohort_ratios(region.cohort_change, idx.councils), a.migration_damping)[zones_council]
        births_path = resident[:, 0, 1:]
        # (council of the ward, planning area) pairs, in (council, area) order, wards in order
        # within each; areas of no council take no share of any council (apply_shares)
        row, col, w = zw.row, zw.col, zw.data
        keep = (zones_council[row] >= 0) & (idx.area_council[col] >= 0)
        row, col, w = row[keep], col[keep], w[keep]
        pair, pair_of = np.unique(zones_council[row] * n_area + col, return_inverse=True)
        gather = sparse.csr_matrix((w, (pair_of, row)), shape=(len(pair), n_zone))
        pair_c, pair_a = np.divmod(pair, n_area)
        into = idx.area_council[pair_a]
        # (sending council, receiving council) blocks: council_sum of each sender's change
        block, block_of = np.unique(pair_c * n_c + into, return_inverse=True)
        block_c, block_into = np.divmod(block, n_c)
        # every area of the receiving council gets its share of the block's total
        order = np.argsort(idx.area_council, kind="stable")
        count = np.bincount(idx.area_council[idx.area_council >= 0], minlength=n_c)
        start = np.concatenate([[0], np.cumsum(count)])[:-1] + np.sum(idx.area_council < 0)
        per = count[block_into]
        entry_block = np.repeat(np.arange(len(block)), per)
        entry_area = order[np.repeat(start[block_into] - np.cumsum(per) + per, per) + np.arange(per.sum())]
        n_year = a.horizon
        cols = (entry_area[:, None] * n_year + np.arange(n_year)[None, :]).ravel()
        rows = np.repeat(block_c[entry_block], n_year)

        def sensitivity(new_resident):
            delta = (gather @ (new_resident - resident)[:, ages, :].reshape(n_zone, -1)).reshape(len(pair), len(ages), -1)
            area = np.where(idx.grade_mask[pair_a][:, None, :], (part[pair_a][:, :, None] * delta[:, :, 1:]).transpose(0, 2, 1), 0.0)
            total = council_sum(area, block_of, len(block))  # apply_shares' council sum, per sender
            values = phase_totals(total[entry_block] * shares[entry_area], idx.grade_mask[entry_area]) / eps
            out = sparse.csr_matrix((values.ravel(), (rows, cols)), shape=(n_c, n_area * n_year))
            out.eliminate_zeros()
            out.sort_indices()
            return out

        d_births = sensitivity(age_population(base, r_all, births_path * (1 + eps)))
        d_mig = sensitivity(age_population(base, 1 + (r_all - 1) * (1 + eps), births_path))
        return d_births, d_mig

    key = (region.zones, region.schools, region.planning_areas, region.zone_areas, region.cohort_change, region.meta)
    return cached_on(key, ("sensitivities", a.births, a.migration_damping, a.horizon), compute)


def cohort_survival_draws(cohort: CohortInputs, grade_mask: np.ndarray, n: int, settings: Uncertainty,
                          stream: int) -> np.ndarray:
    """Baseline draws (N, A, Y): the central forecast's :func:`~placeplan.model.baseline.grade_progression`
    (same last year, intakes and Y6->Y7 feeder) with each projected year's ratios resampled.

    Notes
    -----
    ``r[n, t, a, g] = max(0, rbar[a, g] + k * e[a, tau, g])`` with ``tau`` drawn uniformly
    among the past years per draw, year and area, ``e = r_past - rbar`` the residuals and
    ``k = settings.ratio_residual_scale`` (as the GLA's projections do). With ``k = 0``
    every draw is the central forecast. Each draw then goes through the central forecast's
    council constraint (:meth:`~placeplan.model.baseline.CohortInputs.constrain`).
    """
    central = np.nan_to_num(cohort.ratios)
    resid = np.nan_to_num(cohort.past - cohort.ratios[:, None, :]) * settings.ratio_residual_scale
    n_area, horizon = cohort.intakes.shape
    areas = np.arange(n_area)[None, :]
    pick = None
    if resid.shape[1] > 0:
        pick = stream_rng(settings.seed, stream).integers(0, resid.shape[1], size=(horizon, n, n_area, 1))[..., 0]

    def project(lo: int, hi: int, mask=None) -> np.ndarray:
        if pick is None:
            ratios = np.broadcast_to(central, (hi - lo,) + central.shape)
        else:
            def ratios(t: int) -> np.ndarray:
                return np.clip(central[None] + resid[areas, pick[t, lo:hi]], 0, None)
        last = np.broadcast_to(cohort.last, (hi - lo,) + cohort.last.shape)
        return grade_progression(last, ratios, cohort.intakes, feeder=cohort.feeder, mask=mask)

    if cohort.shares is None:
        return project(0, n, grade_mask)
    # the council constraint needs every NCY: a few draws at a time keeps (draws, A, H, G) small
    step = max(1, 2_000_000 // max(cohort.shares.size, 1))
    out = np.empty((n, n_area, horizon))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out[lo:hi] = phase_totals(cohort.constrain(np.where(grade_mask[:, None, :], project(lo, hi), 0.0)), grade_mask)
    return out
