"""Monte Carlo ranges of the forecast: pupils, spare places, places needed and funding gap.

What is drawn (``docs/uncertainty.md``):

- **pupil yields**: one multiplier per draw and planning-area phase, lognormal with mean 1
  and coefficient of variation ``yield_cv``;
- **site delivery**: per draw and site, whether the site is built at all (probability by
  planning status) and how many years its start slips (Poisson by status, capped);
- **baseline**: for the population-based method, births and net migration of children
  per council around their central assumptions, propagated to pupils to first order
  (the projection's sensitivity to each, computed once); for cohort survival, each
  projected year's ratios are resampled from the past ratios' residuals (as the GLA's
  projections do).

Everything is vectorised over draws: the draws of one site-delivery outcome are a
matrix product of a (draws x sites) indicator with precomputed (sites x areas*years)
pupils, one product per possible delay.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.baseline import CohortInputs, cohort_inputs
from placeplan.model.capacity import shortfall
from placeplan.model.constants import AREA_PHASES
from placeplan.model.contributions import pair_pupils
from placeplan.model.draws import (
    baseline_sensitivities,
    cohort_survival_draws,
    draw_sites,
    housing_operator,
    housing_operators,
    lognormal_mean_one,
    phase_totals,
    stream_rng,
)
from placeplan.model.forecast import FundingInputs, forecast_arrays, funding_inputs, funding_step
from placeplan.model.index import RegionIndex, region_index
from placeplan.model.population import resident_by_area
from placeplan.model.region import Assumptions, Region
from placeplan.model.results import area_year_keys, council_year_keys

__all__ = ["DELIVERY", "DELAY", "Uncertainty", "Ranges", "Setup", "setup", "chunk_plan", "default_chunk", "run_chunk",
           "finish", "summarise", "summary_quantiles", "setup_parts", "monte_carlo", "draw_sites", "housing_operator", "housing_operators", "baseline_sensitivities",
           "cohort_survival_draws", "column_quantiles", "lognormal_mean_one"]

#: Probability a site is built at all, by planning status (placeplan defaults).
DELIVERY = {
    "under_construction": 0.98,
    "permissioned": 0.90,
    "allocated": 0.80,
    "pending": 0.70,
    "not_permissioned": 0.50,
    "completed": 1.0,
}
#: Mean years a site's start slips, by planning status (Poisson; placeplan defaults).
DELAY = {
    "under_construction": 0.0,
    "permissioned": 0.5,
    "allocated": 1.5,
    "pending": 1.0,
    "not_permissioned": 2.0,
    "completed": 0.0,
}


@dataclass(frozen=True)
class Uncertainty:
    """Settings of the Monte Carlo; every default is explained in docs/uncertainty.md."""

    draws: int = 1000
    seed: int = 20151
    yield_cv: float = 0.15
    delivery: dict = field(default_factory=lambda: dict(DELIVERY))
    delay_mean: dict = field(default_factory=lambda: dict(DELAY))
    max_delay: int = 6
    births_cv: float = 0.04
    migration_cv: float = 0.5
    #: multiplier on the resampled residuals of cohort-survival ratios (0: the central ratios)
    ratio_residual_scale: float = 1.0
    quantiles: tuple[float, float, float] = (0.1, 0.5, 0.9)


@dataclass
class Ranges:
    """Monte Carlo results: tidy tables and, for callers that need them, the draws."""

    shortfall: pd.DataFrame
    funding_gap: pd.DataFrame
    funding_gap_total: pd.DataFrame
    settings: Uncertainty
    pupils_draws: np.ndarray | None = None  # (N, A, Y), kept only when asked


@dataclass
class Setup:
    """Everything a chunk of draws needs, computed once (and shipped once to each worker)."""

    region: Region
    a: Assumptions
    s: Uncertainty
    idx: RegionIndex
    base_tot: np.ndarray
    d_births: sparse.csr_matrix  # (C, A*Y): each council's births move its own areas' pupils
    d_mig: sparse.csr_matrix
    cohort: CohortInputs | None  # cohort survival: what its draws resample
    capacity: np.ndarray
    primary_area: np.ndarray
    ops_t: list
    ops_gross_t: list | None  # every home's pupils (netting on): what contributions are shared by
    funding: FundingInputs
    pair_pupils: dict  # kind -> (D+1, K, Y) each pair's pupils with every start delay

    @property
    def shape(self) -> tuple[int, int, int]:
        """(areas, years, councils)."""
        return len(self.idx.areas), len(self.idx.years), len(self.idx.councils)


def setup(region: Region, assumptions: Assumptions | None = None, settings: Uncertainty | None = None,
          parts: dict | None = None) -> Setup:
    """Operators, baseline and sensitivities, costs: the part of a Monte Carlo that no draw changes.

    The central forecast's own arrays (:func:`~placeplan.model.forecast.forecast_arrays`)
    give the baseline, capacity, contributions sought and grants. The heavy work is in
    independent parts (:func:`setup_parts`: the central forecast, the baseline's
    sensitivities, the housing steps for each start delay); ``parts`` may hold some of
    them already computed (e.g. each on a worker, :func:`placeplan.distributed.monte_carlo`),
    the rest are computed here. Assembling them only gathers references and stacks each
    contribution pair's pupils over the delays.
    """
    a = assumptions or region.assumptions()
    s = settings or Uncertainty()
    given = parts or {}
    got = {name: given[name] if name in given else fn(region, a, s) for name, fn in setup_parts(s).items()}
    central = got["central"]
    idx, fi = central.idx, central.funding
    d_births, d_mig, cohort = got["baseline"]
    delays = [got[f"delay{d}"] for d in range(s.max_delay + 1)]
    return Setup(
        region=region, a=a, s=s, idx=idx, base_tot=phase_totals(central.baseline, idx.grade_mask),
        d_births=d_births, d_mig=d_mig,
        cohort=cohort, capacity=central.shortfall.capacity, primary_area=idx.area_phase == AREA_PHASES[0],
        ops_t=[op_t for op_t, _, _ in delays], funding=fi,
        ops_gross_t=[gross_t for _, gross_t, _ in delays] if a.netting else None,
        pair_pupils={k: np.stack([q[k] for _, _, q in delays]) for k in fi.pairs},
    )


def central_part(region: Region, a: Assumptions, s: Uncertainty):
    """The central forecast's arrays (baseline, capacity, contributions sought, grants)."""
    return forecast_arrays(region, a)


def delay_part(region: Region, a: Assumptions, s: Uncertainty, delay: int):
    """The housing steps with every start ``delay`` years later, as the draws use them:
    sparse (A*Y, S) operators of each site's pupils (net, and gross when netting; else None)
    and each contribution pair's pupils (kind -> (K, Y)) (:func:`~placeplan.model.draws.housing_operator`)."""
    idx = region_index(region, a.horizon)
    op, op_gross, gross, dwellings, yields = housing_operator(region, idx, a, delay)
    pairs = funding_inputs(region, idx, a, dwellings, yields).pairs
    return (op.T.tocsr(), op_gross.T.tocsr() if a.netting else None,
            {k: pair_pupils(p, gross) for k, p in pairs.items()})


def baseline_part(region: Region, a: Assumptions, s: Uncertainty):
    """What the baseline's draws need: sparse (C, A*Y) births and migration sensitivities
    (population method) and the cohort-survival inputs (cohort method, else None)."""
    idx = region_index(region, a.horizon)
    n_area, n_year, n_c = len(idx.areas), len(idx.years), len(idx.councils)
    cohort = None
    if a.baseline_method == "cohort_survival" and not region.roll_history.empty:
        cohort = cohort_inputs(region, idx, a, *resident_by_area(region, idx, a))
    if a.baseline_method == "population" and not region.zones.empty:
        d_births, d_mig = baseline_sensitivities(region, idx, a)
    else:
        d_births = d_mig = sparse.csr_matrix((n_c, n_area * n_year))
    return d_births, d_mig, cohort


def setup_parts(s: Uncertainty) -> dict:
    """The independent parts of :func:`setup`, name -> ``f(region, assumptions, settings)``:
    ``central``, ``baseline`` and ``delay0`` .. ``delay{max_delay}`` (one per start delay)."""
    parts = {"central": central_part, "baseline": baseline_part}
    parts.update({f"delay{d}": partial(delay_part, delay=d) for d in range(s.max_delay + 1)})
    return parts


def site_council_operator(site_council: np.ndarray, n_council: int, n_year: int):
    """``f(values (S, Y)) -> sparse (C*Y, S)``: the linear form of summing sites' values into
    their councils (:func:`~placeplan.model.funding.group_sum`), one column per site."""
    n_site = len(site_council)
    rows = np.repeat(np.arange(n_site), n_year)
    cols = (np.clip(site_council, 0, None)[:, None] * n_year + np.arange(n_year)[None, :]).ravel()
    valid = np.repeat(site_council >= 0, n_year)

    def apply(values: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((values.ravel()[valid], (rows[valid], cols[valid])),
                                 shape=(n_site, n_council * n_year)).T.tocsr()

    return apply


def chunk_plan(n: int, chunk: int) -> list[tuple[int, int]]:
    """(chunk id, draws) of each chunk: the id seeds the chunk's random streams."""
    return [(i, min(chunk, n - start)) for i, start in enumerate(range(0, n, chunk))]


def default_chunk(st: Setup) -> int:
    n_area, n_year, _ = st.shape
    return int(np.clip(2_000_000 // max(n_area * n_year, 1), 20, 2000))


def run_chunk(st: Setup, chunk_id: int, m: int, exact: bool = False):
    """Draw ``m`` futures with the random streams of chunk ``chunk_id``.

    Pure: the same setup, id and size give the same arrays on any machine, so chunks can
    run in any order, in other processes or on other machines.

    Returns
    -------
    (pupils (m, A*Y) float32, or float64 when ``exact``; shortfall count (A, Y); funding gap (m, C, Y))
    """
    a, s, idx = st.a, st.s, st.idx
    n_area, n_year, n_c = st.shape
    built, delay = draw_sites(st.region, s, m, stream=10_000 + chunk_id)
    rng = stream_rng(s.seed, 20_000 + chunk_id)
    ymult = lognormal_mean_one(rng, s.yield_cv, (m, 2))
    housing = np.zeros((n_area * n_year, m))
    gross = np.zeros((n_area * n_year, m)) if st.ops_gross_t is not None else housing
    fi = st.funding
    q = {k: np.zeros((m,) + v.shape[1:]) for k, v in st.pair_pupils.items()}
    for d in range(s.max_delay + 1):
        mask = built & (delay == d)  # (m, S)
        if not mask.any():
            continue
        # Each site reaches only its own areas: sparse (A*Y, S) @ dense (S, m).
        housing += st.ops_t[d] @ mask.T.astype(np.float64)
        if st.ops_gross_t is not None:
            gross += st.ops_gross_t[d] @ mask.T.astype(np.float64)
        for k, v in st.pair_pupils.items():
            q[k] += mask[:, fi.pairs[k].site][..., None] * v[d][None]
    phase_mult = np.where(st.primary_area, ymult[:, :1], ymult[:, 1:])[:, :, None]
    housing, gross = (h.T.reshape(m, n_area, n_year) * phase_mult for h in (housing, gross))
    scale = {"primary": ymult[:, :1], "secondary": ymult[:, 1:]}
    for k, mult in scale.items():
        q[k] = q[k] * mult[..., None]
    if st.cohort is not None:
        base_draw = cohort_survival_draws(st.cohort, idx.grade_mask, m, s, stream=30_000 + chunk_id)
    else:
        eb = rng.standard_normal((m, n_c)) * s.births_cv
        em = rng.standard_normal((m, n_c)) * s.migration_cv
        # Sparse products, not BLAS: their sums run in a fixed order whatever the thread
        # count, so a chunk gives the same bits on any worker.
        change = (st.d_births.T @ eb.T + st.d_mig.T @ em.T).T
        base_draw = st.base_tot[None] + change.reshape(m, n_area, n_year)
    pupils = np.clip(base_draw + housing, 0, None)
    sf = shortfall(pupils, st.capacity, a.headroom, idx.places_per_fe)
    # The central forecast's own funding steps, over the draws: projects, contributions, funding by year.
    gaps = funding_step(fi, idx, a, sf, base_draw + housing - gross, gross, q, cap_scale=scale)["funding_gap"]
    flat = pupils.reshape(m, -1)
    return (flat if exact else flat.astype(np.float32)), (sf.places_needed > 0).sum(axis=0), gaps


def finish(st: Setup, pieces: list, keep_draws: bool = False) -> Ranges:
    """Quantiles and probabilities from every chunk's draws (in chunk order)."""
    store = np.concatenate([p[0] for p in pieces])
    n_area, n_year, _ = st.shape
    draws = store.reshape(len(store), n_area, n_year).astype(float) if keep_draws else None
    return summarise(st, column_quantiles(store, summary_quantiles(st.s)), [p[1] for p in pieces],
                     [p[2] for p in pieces], len(store), draws)


def summary_quantiles(s: Uncertainty) -> np.ndarray:
    """The pupils' quantiles :func:`summarise` needs: ``q`` and ``1 - q`` for each ``q``."""
    qs = np.asarray(s.quantiles)
    return np.concatenate([qs, 1 - qs])


def summarise(st: Setup, pq: np.ndarray, short_counts: list, gaps: list, n: int,
              draws: np.ndarray | None = None) -> Ranges:
    """The tables from per-chunk summaries: the pupils' :func:`summary_quantiles` of each
    (area, year) cell over all ``n`` draws (``pq``, (2Q, A*Y)), each chunk's count of draws
    short per cell and its funding-gap draws (chunk order).

    The pupils' quantiles can be taken per block of cells where the draws are
    (:func:`placeplan.distributed.monte_carlo`); counts add up and the funding-gap draws
    are small, so the tables equal :func:`finish`'s over the gathered draws bit for bit.
    """
    s, a, idx = st.s, st.a, st.idx
    n_area, n_year, _ = st.shape
    short_count = np.sum(short_counts, axis=0)
    gaps = np.concatenate(gaps)
    qs = np.asarray(s.quantiles)
    # Spare places and places needed are monotone in pupils, so their order-statistic
    # quantiles follow exactly from the pupils' quantiles.
    pq = np.asarray(pq).astype(float)
    pupils_q, pupils_rev = pq[: len(qs)], pq[len(qs):]
    cube = (-1, n_area, n_year)
    needed_q = shortfall(pupils_q.reshape(cube), st.capacity, a.headroom, idx.places_per_fe).places_needed
    spare_q = shortfall(pupils_rev.reshape(cube), st.capacity, a.headroom, idx.places_per_fe).spare_places  # few pupils: much spare
    needed_q, spare_q = needed_q.reshape(len(qs), -1), spare_q.reshape(len(qs), -1)
    keys = area_year_keys(idx)
    values = {}
    for name, q in (("pupils", pupils_q), ("spare_places", spare_q), ("places_needed", needed_q)):
        for i, label in enumerate(_labels(qs)):
            values[f"{name}_{label}"] = q[i].astype(float)
    values["probability_short"] = (short_count / n).ravel()
    by_area = pd.concat([keys, pd.DataFrame(values, index=keys.index)], axis=1)
    gq = np.quantile(gaps, qs, axis=0, method="inverted_cdf")  # (3, C, Y)
    fkeys = council_year_keys(idx)
    fvals = {f"funding_gap_{label}": gq[i].ravel() for i, label in enumerate(_labels(qs))}
    funding = pd.concat([fkeys, pd.DataFrame(fvals, index=fkeys.index)], axis=1)
    totals = np.quantile(gaps.sum(axis=2), qs, axis=0, method="inverted_cdf")  # (3, C)
    total = pd.DataFrame({"council_code": idx.councils.to_numpy(dtype=object), "council": idx.council_names,
                          **{f"funding_gap_total_{label}": totals[i] for i, label in enumerate(_labels(qs))}})
    return Ranges(shortfall=by_area, funding_gap=funding, funding_gap_total=total, settings=s, pupils_draws=draws)


def monte_carlo(
    region: Region,
    assumptions: Assumptions | None = None,
    settings: Uncertainty | None = None,
    progress=None,
    chunk: int | None = None,
    keep_draws: bool = False,
) -> Ranges:
    """Draw the forecast ``settings.draws`` times; the same seed gives the same result.

    Parameters
    ----------
    progress : callable, optional
        Called with the share of draws done (0..1) after each chunk.
    chunk : int, optional
        Draws computed at once; by default about 2 million (draw, area, year) cells, so a
        national run keeps its working arrays near 16 MB each. Results depend on the
        chunking only through the chunk ids, so the same ``chunk`` gives the same result
        here and on a cluster (:func:`placeplan.distributed.monte_carlo`).
    """
    st = setup(region, assumptions, settings)
    plan = chunk_plan(st.s.draws, chunk or default_chunk(st))
    pieces = []
    done = 0
    for chunk_id, m in plan:
        pieces.append(run_chunk(st, chunk_id, m, exact=keep_draws))
        done += m
        if progress is not None:
            progress(done / st.s.draws)
    return finish(st, pieces, keep_draws)


def column_quantiles(draws: np.ndarray, qs: np.ndarray, block: int = 4096) -> np.ndarray:
    """Order-statistic quantiles (``inverted_cdf``) of each column, in column blocks on two threads.

    Blocks keep the partition's working copy small; np.partition releases the GIL.
    """
    out = np.empty((len(qs), draws.shape[1]), dtype=draws.dtype)
    starts = range(0, draws.shape[1], block)

    def one(start):
        out[:, start:start + block] = np.quantile(draws[:, start:start + block], qs, axis=0, method="inverted_cdf")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, starts))
    return out


def _labels(qs) -> list[str]:
    return [f"p{int(round(q * 100))}" for q in qs]
