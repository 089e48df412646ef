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

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model import baseline as bl
from placeplan.model import capacity as cap
from placeplan.model import forecast as fc
from placeplan.model.completions import completions
from placeplan.model.constants import AGE_OFFSET, N_NCY, PHASES
from placeplan.model.region import Assumptions, Region
from placeplan.model.util import cached_on
from placeplan.model.yields import housing_pupils

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
    quantiles: tuple[float, float, float] = (0.1, 0.5, 0.9)


@dataclass
class Ranges:
    """Monte Carlo results: tidy tables and, for callers that need them, the draws."""

    shortfall: pd.DataFrame
    funding_gap: pd.DataFrame
    funding_gap_total: pd.DataFrame
    settings: Uncertainty
    pupils_draws: np.ndarray | None = None  # (N, A, Y), kept only when asked


def _rng(settings: Uncertainty, stream: int) -> np.random.Generator:
    # Independent, reproducible streams per input and per chunk of draws.
    return np.random.default_rng([settings.seed, stream])


def housing_operators(region: Region, idx, a: Assumptions, max_delay: int):
    """Pupils per site by area and year for each start delay, D+1 sparse (S, A*Y); share of each site paid
    (built) per year, (D+1, S, Y); SEND pupils per site and year, (D+1, S, Y); and dwellings.

    The columns of an area hold the pupils of its phase (primary: primary pupils;
    secondary: secondary and sixth-form pupils), after flows.
    """
    sites = region.sites
    dwellings, first, rate, traj = fc.site_inputs(region, idx, a)
    yields = fc.site_yields(sites, region.yields, a.yield_basis, a.yield_multipliers)
    lag = fc._lag(region, len(idx.years))
    weights = fc.site_weights(region, idx)
    flows = fc._flows(region, idx)
    n_area, n_year = len(idx.areas), len(idx.years)
    move = sparse.kron(flows, sparse.identity(n_year), format="csr")  # flows act on (area, year) columns
    ops, paid, send = [], [], []
    p_send = PHASES.index("send")
    groups = {"primary": [PHASES.index("primary")],
              "secondary": [PHASES.index("secondary"), PHASES.index("sixth_form")]}
    coo = {ph: weights[ph].tocoo() for ph in groups}
    year_idx = np.arange(n_year)
    for d in range(max_delay + 1):
        shifted = None
        if traj is not None:
            shifted = np.full_like(traj, np.nan)
            explicit = ~np.all(np.isnan(traj), axis=1)
            shifted[explicit] = 0.0
            if d < n_year:
                shifted[:, d:] = traj[:, : n_year - d]
            shifted[~explicit] = np.nan
        built = completions(dwellings, first + d, rate, idx.years, shifted)
        pupils = housing_pupils(built, yields, lag)  # (S, P, Y)
        rows, cols, vals = [], [], []
        for ph, members in groups.items():
            w = coo[ph]
            per_site = pupils[:, members, :].sum(axis=1)  # (S, Y)
            rows.append(np.repeat(w.row, n_year))
            cols.append((w.col[:, None] * n_year + year_idx[None, :]).ravel())
            vals.append((w.data[:, None] * per_site[w.row]).ravel())
        op = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(len(sites), n_area * n_year))
        ops.append(op @ move)
        send.append(pupils[:, p_send, :])
        with np.errstate(invalid="ignore", divide="ignore"):
            paid.append(np.where(dwellings[:, None] > 0, built / np.where(dwellings > 0, dwellings, 1.0)[:, None], 0.0))
    return ops, np.stack(paid), np.stack(send), dwellings


def draw_sites(region: Region, settings: Uncertainty, n: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether each site is built (N, S) and its start delay in years (N, S)."""
    status = region.sites["status"].astype(str).to_numpy()
    p = np.array([settings.delivery.get(s, 1.0) for s in status])
    lam = np.array([settings.delay_mean.get(s, 0.0) for s in status])
    rng = _rng(settings, stream)
    built = rng.random((n, len(status))) < p
    delay = np.minimum(rng.poisson(lam, size=(n, len(status))), settings.max_delay)
    return built, delay


def lognormal_mean_one(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    sigma = np.sqrt(np.log1p(cv**2))
    return np.exp(sigma * rng.standard_normal(size) - sigma**2 / 2)


def baseline_sensitivities(region: Region, idx, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """d(baseline)/d(relative births change) and d/d(relative net-migration change) per council.

    Returns two (C, A, Y) arrays of pupils per area and year (area phase totals).
    """

    def compute():
        zw = fc.zone_weights(region, idx)
        ages = np.arange(N_NCY) + AGE_OFFSET
        zones_council = idx.councils.get_indexer(region.zones["council_code"].astype(str))
        resident = fc.resident_children(region, idx, a)
        res_area = fc.area_sum(zw, resident[:, ages, :])
        _, rolls = fc.baseline(region, idx, a)
        # The baseline is participation x residents; births and migration change residents
        # after the base year only, so its change is participation x the change in residents.
        part = np.nan_to_num(bl.participation(rolls, res_area[:, :, 0]))
        n_c = len(idx.councils)
        shape = (len(idx.areas), a.horizon)
        d_births = np.zeros((n_c,) + shape)
        d_mig = np.zeros((n_c,) + shape)
        eps = 0.01
        base = region.zones[fc.POP_COLUMNS].to_numpy(dtype=float)
        ratio = np.ones((n_c, 18))
        cc = region.cohort_change
        if not cc.empty:
            ci = idx.councils.get_indexer(cc["council_code"].astype(str))
            ok = ci >= 0
            ratio[ci[ok], cc["age"].to_numpy(dtype=int)[ok]] = cc["ratio"].to_numpy(dtype=float)[ok]
        r_all = bl.damp(ratio, a.migration_damping)[zones_council]
        births_path = resident[:, 0, 1:]
        zw = zw.tocsr()

        def change(rows, new_resident):
            delta = fc.area_sum(zw[rows], (new_resident - resident[rows])[:, ages, :])
            return _phase_totals((part[:, :, None] * delta[:, :, 1:]).transpose(0, 2, 1), idx) / eps

        for c, rows in pd.Series(np.arange(len(zones_council))).groupby(zones_council).indices.items():
            if c < 0:
                continue
            r = r_all[rows]
            d_births[c] = change(rows, bl.age_population(base[rows], r, births_path[rows] * (1 + eps)))
            d_mig[c] = change(rows, bl.age_population(base[rows], 1 + (r - 1) * (1 + eps), births_path[rows]))
        return d_births, d_mig

    key = (region.zones, region.schools, region.planning_areas, region.zone_areas, region.cohort_change, region.meta)
    return cached_on(key, ("sensitivities", a.births, a.migration_damping, a.horizon), compute)


def _phase_totals(pupils: np.ndarray, idx) -> np.ndarray:
    """(A, Y, G) -> (A, Y), counting only the grades each area holds."""
    return np.where(idx.grade_mask[:, None, :], pupils, 0.0).sum(axis=2)


def cohort_survival_draws(region: Region, idx, a: Assumptions, n: int, settings: Uncertainty, stream: int) -> np.ndarray:
    """Baseline draws (N, A, Y) resampling each year's ratios from past residuals."""
    hist = region.roll_history
    years = np.sort(hist["academic_year"].unique())
    arr = np.full((len(idx.areas), len(years), N_NCY), np.nan)
    ai = idx.areas.get_indexer(hist["planning_area_code"].astype(str))
    ti = np.searchsorted(years, hist["academic_year"].to_numpy())
    ok = ai >= 0
    arr[ai[ok], ti[ok], hist["ncy"].to_numpy(dtype=int)[ok]] = hist["pupils"].to_numpy(dtype=float)[ok]
    past = bl.survival_ratios(arr)
    if a.ratio_years:
        past = past[:, -a.ratio_years:, :]
    central = bl.average_ratios(past, a.ratio_method)
    resid = np.nan_to_num(past - central[:, None, :])
    rng = _rng(settings, stream)
    n_area = len(idx.areas)
    horizon = len(idx.years)
    pick = rng.integers(0, resid.shape[1], size=(horizon, n, n_area, 1))
    last = np.nan_to_num(arr[:, -1, :])
    current = np.broadcast_to(last, (n, n_area, N_NCY)).copy()
    out = np.empty((n, n_area, horizon))
    ratios_c = np.nan_to_num(central)
    for t in range(horizon):
        r = ratios_c[None] + np.take_along_axis(np.broadcast_to(resid[None], (n,) + resid.shape),
                                                pick[t][:, :, :, None].repeat(resid.shape[2], axis=3), axis=2)[:, :, 0, :]
        nxt = np.empty_like(current)
        nxt[:, :, 1:] = current[:, :, :-1] * np.clip(r, 0, None)
        nxt[:, :, 0] = current[:, :, 0]  # intake held (its uncertainty comes from births, not modelled here)
        out[:, :, t] = np.where(idx.grade_mask[None], nxt, 0.0).sum(axis=2)
        current = nxt
    return out


@dataclass
class Setup:
    """Everything a chunk of draws needs, computed once (and shipped once to each worker)."""

    region: Region
    a: Assumptions
    s: Uncertainty
    idx: object
    base_tot: np.ndarray
    d_births: sparse.csr_matrix  # (C, A*Y): each council's births move its own areas' pupils
    d_mig: sparse.csr_matrix
    use_cs: bool
    capacity: np.ndarray
    primary_area: np.ndarray
    ops_t: list
    contrib_t: list
    send_t: list
    send_cpp: np.ndarray
    exp: np.ndarray
    ns: np.ndarray
    basic_need: np.ndarray
    other: np.ndarray
    area_to_c: sparse.csr_matrix

    @property
    def shape(self) -> tuple[int, int, int]:
        """(areas, years, councils)."""
        return len(self.idx.areas), len(self.idx.years), len(self.idx.councils)


def setup(region: Region, assumptions: Assumptions | None = None, settings: Uncertainty | None = None) -> Setup:
    """Operators, baseline and sensitivities, costs: the part of a Monte Carlo that no draw changes."""
    a = assumptions or region.assumptions()
    s = settings or Uncertainty()
    idx = fc._index(region, a)
    n_area, n_year = len(idx.areas), len(idx.years)
    central_base, _ = fc.baseline(region, idx, a)
    cap_base = fc.base_capacity(region, idx)
    capacity = cap.capacity_by_year(cap_base, region.capacity_changes, idx.areas, idx.area_phase, idx.years)
    ops, paid, send, _ = housing_operators(region, idx, a, s.max_delay)
    use_cs = a.baseline_method == "cohort_survival" and not region.roll_history.empty
    if a.baseline_method == "population" and not region.zones.empty:
        d_births, d_mig = baseline_sensitivities(region, idx, a)
    else:
        d_births = d_mig = np.zeros((len(idx.councils), n_area, n_year))
    # Funding: contributions sought in the central run, paid per draw as each site builds.
    central = fc.forecast(region, a)
    contrib_site = central.contributions["contribution_total"].to_numpy(dtype=float)
    site_council = idx.councils.get_indexer(region.sites["council_code"].astype(str))
    n_c = len(idx.councils)
    # Each site pays into and needs SEND places in its own council only: sparse (S, C*Y) per delay.
    rows_sy = np.repeat(np.arange(len(site_council)), n_year)
    cols_sy = (np.clip(site_council, 0, None)[:, None] * n_year + np.arange(n_year)[None, :]).ravel()
    valid = np.repeat(site_council >= 0, n_year)

    def per_council(values_sy: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((values_sy.ravel()[valid], (rows_sy[valid], cols_sy[valid])),
                                 shape=(len(site_council), n_c * n_year))

    costs = fc.cost_lookup(region, idx, a)
    exp = np.zeros(n_area)
    ns = np.zeros(n_area)
    for phase in ("primary", "secondary"):
        sel = idx.area_phase == phase
        exp = np.where(sel, fc._cpp(costs, phase, "expansion", n_c)[idx.area_council], exp)
        ns = np.where(sel, fc._cpp(costs, phase, "new_school", n_c)[idx.area_council], ns)
    basic_need, other = fc._funding(region, idx)
    area_to_c = sparse.csr_matrix((np.ones(n_area), (np.arange(n_area), idx.area_council)), shape=(n_area, n_c))
    return Setup(
        region=region, a=a, s=s, idx=idx, base_tot=_phase_totals(central_base, idx),
        d_births=sparse.csr_matrix(d_births.reshape(len(idx.councils), -1)),
        d_mig=sparse.csr_matrix(d_mig.reshape(len(idx.councils), -1)),
        use_cs=use_cs, capacity=capacity, primary_area=idx.area_phase == "primary",
        ops_t=[o.T.tocsr() for o in ops],
        contrib_t=[per_council(paid[d] * contrib_site[:, None]).T.tocsr() for d in range(s.max_delay + 1)],
        send_t=[per_council(send[d]).T.tocsr() for d in range(s.max_delay + 1)],
        send_cpp=fc._cpp(costs, "send", "expansion", n_c), exp=exp, ns=ns, basic_need=basic_need, other=other,
        area_to_c=area_to_c,
    )


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
    rng = _rng(s, 20_000 + chunk_id)
    ymult = lognormal_mean_one(rng, s.yield_cv, (m, 2))
    housing = np.zeros((n_area * n_year, m))
    contrib = np.zeros((n_c * n_year, m))
    send_pupils = np.zeros((n_c * n_year, m))
    for d in range(s.max_delay + 1):
        mask_t = (built & (delay == d)).T.astype(np.float64)  # (S, m)
        if not mask_t.any():
            continue
        # Each site reaches only its own areas: sparse (A*Y, S) @ dense (S, m).
        housing += st.ops_t[d] @ mask_t
        contrib += st.contrib_t[d] @ mask_t
        send_pupils += st.send_t[d] @ mask_t
    housing, contrib = housing.T, contrib.T
    send_new = np.diff(np.maximum.accumulate(send_pupils.T.reshape(m, n_c, n_year), axis=2), axis=2, prepend=0.0)
    housing = housing.reshape(m, n_area, n_year) * np.where(st.primary_area, ymult[:, :1], ymult[:, 1:])[:, :, None]
    if st.use_cs:
        base_draw = cohort_survival_draws(st.region, idx, a, m, s, stream=30_000 + chunk_id)
    else:
        eb = rng.standard_normal((m, n_c)) * s.births_cv
        em = rng.standard_normal((m, n_c)) * s.migration_cv
        # Sparse products, not BLAS: their sums run in a fixed order whatever the thread
        # count, so a chunk gives the same bits on any worker.
        change = (st.d_births.T @ eb.T + st.d_mig.T @ em.T).T
        base_draw = st.base_tot[None] + change.reshape(m, n_area, n_year)
    pupils = np.clip(base_draw + housing, 0, None)
    needed = np.clip(pupils * (1 + a.headroom) - st.capacity[None], 0, None)
    # Funding per draw: places open as the running maximum of need rises.
    new = np.diff(np.maximum.accumulate(needed, axis=2), axis=2, prepend=0.0)
    is_new_school = needed.max(axis=2) >= a.new_school_fe * idx.places_per_fe[None] - 1e-9
    cpp = np.where(is_new_school, st.ns[None], st.exp[None])
    by_area = (new * cpp[:, :, None]).transpose(1, 0, 2).reshape(n_area, -1)
    cost = (st.area_to_c.T @ by_area).reshape(n_c, m, n_year).transpose(1, 0, 2)
    cost = fc.fund.shift_earlier(cost + send_new * st.send_cpp[None, :, None], a.cost_lead_years)
    gaps = cost - contrib.reshape(m, n_c, n_year) - st.basic_need[None] - st.other[None]
    flat = pupils.reshape(m, -1)
    return (flat if exact else flat.astype(np.float32)), (needed > 0).sum(axis=0), gaps


def finish(st: Setup, pieces: list, keep_draws: bool = False) -> Ranges:
    """Quantiles and probabilities from every chunk's draws (in chunk order)."""
    s, a, idx = st.s, st.a, st.idx
    n_area, n_year, _ = st.shape
    store = np.concatenate([p[0] for p in pieces])
    n = len(store)
    short_count = np.sum([p[1] for p in pieces], axis=0)
    gaps = np.concatenate([p[2] for p in pieces])
    qs = np.asarray(s.quantiles)
    # Spare places and places needed are monotone in pupils, so their order-statistic
    # quantiles follow exactly from the pupils' quantiles.
    pq = column_quantiles(store, np.concatenate([qs, 1 - qs])).astype(float)
    pupils_q, pupils_rev = pq[: len(qs)], pq[len(qs):]
    cap_flat = st.capacity.ravel()[None, :]
    needed_q = np.clip(pupils_q * (1 + a.headroom) - cap_flat, 0, None)
    spare_q = np.clip(cap_flat - pupils_rev, 0, None)  # few pupils: much spare
    keys = fc._grid(idx)
    values = {}
    for name, q in (("pupils", pupils_q), ("spare_places", spare_q), ("places_needed", needed_q)):
        for i, label in enumerate(_labels(qs)):
            values[f"{name}_{label}"] = q[i].astype(float)
    values["probability_short"] = (short_count / n).ravel()
    shortfall = pd.concat([keys, pd.DataFrame(values, index=keys.index)], axis=1)
    gq = np.quantile(gaps, qs, axis=0, method="inverted_cdf")  # (3, C, Y)
    fkeys = _council_keys(idx)
    fvals = {f"funding_gap_{label}": gq[i].ravel() for i, label in enumerate(_labels(qs))}
    funding = pd.concat([fkeys, pd.DataFrame(fvals, index=fkeys.index)], axis=1)
    totals = np.quantile(gaps.sum(axis=2), qs, axis=0, method="inverted_cdf")  # (3, C)
    total = pd.DataFrame({"council_code": idx.councils.to_numpy(dtype=object), "council": idx.council_names,
                          **{f"funding_gap_total_{label}": totals[i] for i, label in enumerate(_labels(qs))}})
    draws = store.reshape(n, n_area, n_year).astype(float) if keep_draws else None
    return Ranges(shortfall=shortfall, funding_gap=funding, funding_gap_total=total, settings=s, pupils_draws=draws)


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


def _council_keys(idx) -> pd.DataFrame:
    from placeplan.model.constants import academic_year_label

    n_year, n_c = len(idx.years), len(idx.councils)
    return pd.DataFrame({
        "council_code": np.repeat(idx.councils.to_numpy(dtype=object), n_year),
        "council": np.repeat(idx.council_names, n_year),
        "academic_year": np.tile(np.array([academic_year_label(y) for y in idx.years], dtype=object), n_c),
    })
