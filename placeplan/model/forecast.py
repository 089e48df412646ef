"""The whole forecast: baseline + pupils from housing, flows, capacity, shortfall, funding."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model import baseline as bl
from placeplan.model import capacity as cap
from placeplan.model import funding as fund
from placeplan.model.completions import completions, net_of_background
from placeplan.model.constants import (
    AGE_OFFSET,
    AREA_PHASE_OF,
    MAX_AGE,
    N_NCY,
    NCY_LABELS,
    PHASE_NCY,
    PHASES,
    PLACES_PER_FE,
    academic_year_label,
)
from placeplan.model.flows import apply_flows, flow_matrix
from placeplan.model.geography import area_sum, weight_matrix
from placeplan.model.headroom import development_headroom
from placeplan.model.region import Assumptions, Region
from placeplan.model.util import cached_on, member
from placeplan.model.yields import housing_pupils, lag_operator, profile_matrix, site_yields

POP_COLUMNS = [f"pop_{a}" for a in range(MAX_AGE + 1)]
NCY_COLUMNS = [f"nor_{label}" for label in NCY_LABELS]
EXCLUDED_STATUSES = ("completed",)


class Results:
    """Tables of one forecast, each a tidy DataFrame, and where they came from.

    Attributes ``shortfall``, ``pupils``, ``funding_gap``, ``contributions``, ``sites``,
    ``small_sites``, ``development_headroom`` and ``provenance`` are DataFrames, built
    from the forecast's arrays the first time each is read: a page showing two tables
    does not pay for eight. ``warnings`` lists placement warnings.
    """

    #: every table, in the order exports write them
    TABLES = ("shortfall", "funding_gap", "contributions", "sites", "small_sites", "development_headroom",
              "pupils", "provenance")

    def __init__(self, builders: dict[str, Callable[[], pd.DataFrame]], warnings: list[str] | None = None):
        missing = set(self.TABLES) - set(builders)
        if missing:
            raise ValueError(f"Results needs a builder for {sorted(missing)}")
        self._builders = dict(builders)
        self._built: dict[str, pd.DataFrame] = {}
        self.warnings = list(warnings or [])

    def _table(self, name: str) -> pd.DataFrame:
        table = self._built.get(name)
        if table is None:
            # two threads may both build it; the tables are equal and the first one kept wins
            table = self._built.setdefault(name, self._builders[name]())
        return table

    def _lazy(name: str, doc: str) -> property:  # noqa: N805 - used in the class body only
        return property(lambda self: self._table(name), doc=doc)

    shortfall = _lazy("shortfall", "Per planning area and year: pupils, capacity, headroom, places and forms of entry needed.")
    funding_gap = _lazy("funding_gap", "Per council and year: places, cost, contributions, grant, funding gap.")
    contributions = _lazy("contributions", "Per site: yields and the contribution sought per phase.")
    sites = _lazy("sites", "Per site: dwellings, completions, peak pupils, contribution and placement.")
    small_sites = _lazy("small_sites", "Per council: sites below the contribution threshold and their unfunded cost.")
    development_headroom = _lazy("development_headroom", "Per planning area: dwellings it can take before it runs short.")
    pupils = _lazy("pupils", "Per planning area, year and NCY: baseline, housing and total pupils.")
    provenance = _lazy("provenance", "Key/value table of the data, assumptions, scenario and version.")
    del _lazy

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by name, in :attr:`TABLES` order."""
        return {name: self._table(name) for name in self.TABLES}

    def __getstate__(self) -> dict:
        # pickled (Dask, multiprocessing) as built tables, not as closures over arrays
        return {"tables": self.tables(), "warnings": self.warnings}

    def __setstate__(self, state: dict) -> None:
        self._builders = {}
        self._built = dict(state["tables"])
        self.warnings = list(state["warnings"])

    def __repr__(self) -> str:
        built = ", ".join(self._built) or "none"
        return f"<Results: {len(self.TABLES)} tables, built so far: {built}>"


# --------------------------------------------------------------------------- indices


@dataclass(frozen=True)
class _Index:
    councils: pd.Index
    council_names: np.ndarray
    areas: pd.Index
    area_names: np.ndarray
    area_phase: np.ndarray
    area_council: np.ndarray
    years: np.ndarray
    grade_mask: np.ndarray  # (A, G) True for grades the area's phase holds
    places_per_fe: np.ndarray


def _index(region: Region, a: Assumptions) -> _Index:
    return cached_on((region.councils, region.planning_areas, region.meta), ("index", a.horizon), lambda: _make_index(region, a))


def _make_index(region: Region, a: Assumptions) -> _Index:
    councils = pd.Index(region.councils["council_code"].astype(str))
    pa = region.planning_areas
    areas = pd.Index(pa["planning_area_code"].astype(str))
    phase = pa["phase"].to_numpy(dtype=object)
    primary = phase == "primary"
    mask = np.zeros((len(areas), N_NCY), dtype=bool)
    mask[primary, :7] = True
    mask[~primary, 7:] = True
    first = region.base_academic_year + 1
    return _Index(
        councils=councils,
        council_names=region.councils["council"].to_numpy(dtype=object),
        areas=areas,
        area_names=pa["planning_area"].to_numpy(dtype=object),
        area_phase=phase,
        area_council=councils.get_indexer(pa["council_code"].astype(str)),
        years=np.arange(first, first + a.horizon),
        grade_mask=mask,
        places_per_fe=np.where(primary, PLACES_PER_FE["primary"], PLACES_PER_FE["secondary"]).astype(float),
    )


# --------------------------------------------------------------------------- baseline


def zone_weights(region: Region, idx: _Index):
    """Sparse (Z, A) share of each zone's children in each planning area (both phases)."""
    ids = pd.Index(region.zones["zone_code"].astype(str))
    return (weight_matrix(region.zone_areas, ids, idx.areas, "primary")
            + weight_matrix(region.zone_areas, ids, idx.areas, "secondary")).tocsr()


def resident_children(region: Region, idx: _Index, a: Assumptions) -> np.ndarray:
    """Projected resident children by zone, single year of age and mid-year, (Z, 19, H+1)."""
    zones = region.zones
    base = zones[POP_COLUMNS].to_numpy(dtype=float)
    zc = idx.councils.get_indexer(zones["council_code"].astype(str))
    ratio = np.ones((len(idx.councils), MAX_AGE))
    cc = region.cohort_change
    if not cc.empty:
        ci = idx.councils.get_indexer(cc["council_code"].astype(str))
        ages = cc["age"].to_numpy(dtype=int)
        ok = (ci >= 0) & (ages >= 0) & (ages < MAX_AGE)
        ratio[ci[ok], ages[ok]] = cc["ratio"].to_numpy(dtype=float)[ok]
    ratio = bl.damp(ratio, a.migration_damping)[zc]
    births = np.repeat(base[:, :1], a.horizon, axis=1)
    if a.births == "trend" and not region.births.empty:
        b = region.births.pivot_table(index="council_code", columns="year", values="births", aggfunc="sum")
        b = b.reindex(idx.councils)
        years = b.columns.to_numpy(dtype=int)
        series = b.to_numpy(dtype=float)
        known = np.all(np.isfinite(series), axis=1)
        mid_years = region.base_year + np.arange(0, a.horizon + 1)
        fitted = bl.trend_births(np.nan_to_num(series), years, mid_years)
        with np.errstate(invalid="ignore", divide="ignore"):
            growth = np.where(known[:, None] & (fitted[:, :1] > 0), fitted[:, 1:] / fitted[:, :1], 1.0)
        births = base[:, :1] * growth[zc]
    return bl.age_population(base, ratio, births)


def base_rolls(region: Region, idx: _Index, resident_area: np.ndarray) -> np.ndarray:
    """Base-year pupils on roll by planning area and NCY, (A, G).

    Schools give rolls by phase; where NCY columns are given they are used, otherwise a
    phase's roll is spread over its NCYs in proportion to the area's resident children.
    """
    schools = region.schools
    n_area = len(idx.areas)
    rolls = np.zeros((n_area, N_NCY))
    pri = idx.areas.get_indexer(schools["primary_planning_area"].astype("string").fillna(""))
    sec = idx.areas.get_indexer(schools["secondary_planning_area"].astype("string").fillna(""))
    by_ncy = None
    if all(c in schools for c in NCY_COLUMNS):
        by_ncy = schools[NCY_COLUMNS].to_numpy(dtype=float)
    for phase, area_idx, column in (
        ("primary", pri, "nor_primary"),
        ("secondary", sec, "nor_secondary"),
        ("sixth_form", sec, "nor_sixth_form"),
    ):
        lo, hi = PHASE_NCY[phase]
        total = schools[column].to_numpy(dtype=float) if column in schools else np.zeros(len(schools))
        total = np.nan_to_num(total)
        known = np.zeros(len(schools), dtype=bool)
        if by_ncy is not None:
            known = np.all(np.isfinite(by_ncy[:, lo:hi]), axis=1)
            ok = known & (area_idx >= 0)
            np.add.at(rolls[:, lo:hi], area_idx[ok], by_ncy[ok, lo:hi])
        ok = ~known & (area_idx >= 0)
        phase_total = np.zeros(n_area)
        np.add.at(phase_total, area_idx[ok], total[ok])
        shape = resident_area[:, lo:hi]
        s = shape.sum(axis=1, keepdims=True)
        spread = np.where(s > 0, shape / np.where(s > 0, s, 1.0), 1.0 / (hi - lo))
        rolls[:, lo:hi] += phase_total[:, None] * spread
    return rolls


def feeder_matrix(region: Region, idx: _Index, zw, children: np.ndarray) -> np.ndarray:
    """(A, A) share of each primary area's Y6 that feeds each secondary area, via shared zones."""
    primary = (idx.area_phase == "primary").astype(float)
    wp = sparse.csr_matrix(zw.multiply(primary[None, :]).multiply(children[:, None]))
    ws = sparse.csr_matrix(zw.multiply(1.0 - primary[None, :]))
    flow = (wp.T @ ws).toarray()
    tot = flow.sum(axis=1, keepdims=True)
    return np.where(tot > 0, flow / np.where(tot > 0, tot, 1.0), 0.0)


def baseline(region: Region, idx: _Index, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Baseline pupils (A, Y, G) and base-year rolls (A, G), cached across scenario edits."""
    key = (
        region.zones,
        region.schools,
        region.planning_areas,
        region.zone_areas,
        region.cohort_change,
        region.births,
        region.roll_history,
        region.meta,
    )
    params = (a.baseline_method, a.births, a.migration_damping, a.ratio_method, a.ratio_years, a.horizon)
    return cached_on(key, params, lambda: _baseline(region, idx, a))


def _baseline(region: Region, idx: _Index, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    n_area = len(idx.areas)
    horizon = a.horizon
    has_zones = not region.zones.empty
    if has_zones:
        zw = zone_weights(region, idx)
        resident = resident_children(region, idx, a)
        ages = np.arange(N_NCY) + AGE_OFFSET
        resident_area = area_sum(zw, resident[:, ages, :])
    else:
        zw = None
        resident_area = np.zeros((n_area, N_NCY, horizon + 1))
    rolls = base_rolls(region, idx, resident_area[:, :, 0])
    if a.baseline_method == "none":
        out = np.zeros((n_area, horizon, N_NCY))
    elif a.baseline_method == "population":
        out = bl.population_baseline(rolls, resident_area)
    elif a.baseline_method == "cohort_survival":
        out, rolls = _cohort_survival(region, idx, a, zw, resident_area)
    else:
        raise ValueError(f"unknown baseline method {a.baseline_method!r}")
    return np.where(idx.grade_mask[:, None, :], out, 0.0), rolls * idx.grade_mask


def _cohort_survival(region, idx, a, zw, resident_area):
    hist = region.roll_history
    years = np.sort(hist["academic_year"].unique())
    n_area = len(idx.areas)
    arr = np.full((n_area, len(years), N_NCY), np.nan)
    ai = idx.areas.get_indexer(hist["planning_area_code"].astype(str))
    ti = np.searchsorted(years, hist["academic_year"].to_numpy())
    gi = hist["ncy"].to_numpy(dtype=int)
    ok = ai >= 0
    arr[ai[ok], ti[ok], gi[ok]] = hist["pupils"].to_numpy(dtype=float)[ok]
    feeder = None
    if zw is not None:
        zone_children = region.zones[POP_COLUMNS[5:12]].to_numpy(dtype=float).sum(axis=1)
        feeder = feeder_matrix(region, idx, zw, zone_children)
        fed = feeder.sum(axis=0) > 0
        y6 = np.nan_to_num(arr[:, :, 6])
        arr[:, :, 6] = np.where(fed[:, None], (feeder.T @ y6), arr[:, :, 6])
    ratios = bl.average_ratios(bl.survival_ratios(arr), a.ratio_method, a.ratio_years)
    last = np.nan_to_num(arr[:, -1, :])
    # Reception: held at the last intake, or scaled with resident 5-year-olds when known.
    intake_last = last[:, 0]
    if zw is not None:
        res5 = resident_area[:, 0, :]
        growth = np.where(res5[:, :1] > 0, res5[:, 1:] / np.where(res5[:, :1] > 0, res5[:, :1], 1.0), 1.0)
        intakes = intake_last[:, None] * growth
    else:
        intakes = np.repeat(intake_last[:, None], a.horizon, axis=1)
    out = bl.grade_progression(last, ratios, intakes, feeder=feeder)
    return out, last


# --------------------------------------------------------------------------- housing


def site_inputs(region: Region, idx: _Index, a: Assumptions):
    """Dwellings (S,), first year (S,) and build rate (S,) after the scenario's levers, and the
    explicit trajectories (S, Y) or None. Completed sites add no dwellings (already in the base)."""
    sites = region.sites
    active = ~sites["status"].astype(str).isin(EXCLUDED_STATUSES).to_numpy()
    dwellings = np.where(active, sites["dwellings"].to_numpy(dtype=float), 0.0)
    first = sites["first_year"].to_numpy(dtype=float) + a.delay_years
    rate = sites["build_rate"].to_numpy(dtype=float) * a.build_rate_multiplier
    traj = None
    tr = region.trajectories
    if not tr.empty:
        si = pd.Index(sites["site_id"].astype(str)).get_indexer(tr["site_id"].astype(str))
        yrs = tr["academic_year"].to_numpy(dtype=int) + a.delay_years
        yi = np.searchsorted(idx.years, yrs)
        ok = (si >= 0) & (yrs >= idx.years[0]) & (yi < len(idx.years))
        traj = np.full((len(sites), len(idx.years)), np.nan)
        traj[np.unique(si[si >= 0])] = 0.0  # a site with a trajectory builds only what it says
        np.add.at(traj, (si[ok], yi[ok]), tr["dwellings"].to_numpy(dtype=float)[ok])
    return dwellings, first, rate, traj


def site_arrays(region: Region, idx: _Index, a: Assumptions):
    """Completions (S, Y), site yields (S, P) and pupils (S, P, Y) of the region's sites."""
    sites = region.sites
    dwellings, first, rate, traj = site_inputs(region, idx, a)
    built = completions(dwellings, first, rate, idx.years, traj)
    if a.netting and not region.background_rates.empty:
        sc = idx.councils.get_indexer(sites["council_code"].astype(str))
        bg = np.zeros(len(idx.councils))
        br = region.background_rates
        bi = idx.councils.get_indexer(br["council_code"].astype(str))
        bg[bi[bi >= 0]] = br["dwellings_per_year"].to_numpy(dtype=float)[bi >= 0]
        built = net_of_background(built, sc, bg)
    yields = site_yields(sites, region.yields, a.yield_basis, a.yield_multipliers)
    lag = _lag(region, len(idx.years))
    pupils = housing_pupils(built, yields, lag)
    return dwellings, built, yields, pupils


def site_weights(region: Region, idx: _Index) -> dict[str, np.ndarray]:
    """(S, A) shares of each site's dwellings by planning area, per area phase (cached)."""
    ids = region.sites["site_id"].to_numpy(dtype=object)

    def compute():
        index = pd.Index(ids.astype(str))
        return {ph: weight_matrix(region.site_areas, index, idx.areas, ph) for ph in ("primary", "secondary")}

    return cached_on((region.site_areas, region.planning_areas), ("weights", hash(tuple(ids))), compute)


def _lag(region: Region, n_years: int) -> np.ndarray:
    return cached_on((region.yield_profile,), ("lag", n_years),
                   lambda: lag_operator(profile_matrix(region.yield_profile, n_years)))


# --------------------------------------------------------------------------- costs


def cost_lookup(region: Region, idx: _Index, a: Assumptions) -> dict[tuple[str, str], np.ndarray]:
    """Cost per place per council for each (phase, project type), in the chosen price base."""
    return cached_on((region.costs, region.councils, region.meta), ("costs", a.price_base),
                   lambda: _cost_lookup(region, idx, a))


def _cost_lookup(region: Region, idx: _Index, a: Assumptions) -> dict[tuple[str, str], np.ndarray]:
    costs = region.costs
    out: dict[tuple[str, str], np.ndarray] = {}
    index = price_index(region)
    ci = idx.councils.get_indexer(costs["council_code"].astype(str))
    factor = costs["location_factor"].to_numpy(dtype=float) if "location_factor" in costs else np.ones(len(costs))
    inflate = np.ones(len(costs))
    if a.price_base and index:
        inflate = np.array([index.get(a.price_base, np.nan) / index.get(str(pb), np.nan) for pb in costs["price_base"]])
        inflate = np.where(np.isfinite(inflate), inflate, 1.0)
    # Councils quote cost per place to the pound after the location factor (North Yorkshire).
    value = np.round(costs["cost_per_place"].to_numpy(dtype=float) * factor * inflate)
    for (phase, ptype), rows in costs.groupby(["phase", "project_type"]).groups.items():
        arr = np.full(len(idx.councils), np.nan)
        pos = costs.index.get_indexer(rows)
        ok = ci[pos] >= 0
        arr[ci[pos][ok]] = value[pos][ok]
        out[(phase, ptype)] = arr
    return out


def price_index(region: Region) -> dict[str, float]:
    raw = region.meta_dict.get("price_index")
    return {k: float(v) for k, v in json.loads(raw).items()} if raw else {}


def _cpp(costs: dict, phase: str, ptype: str, n: int) -> np.ndarray:
    if (phase, ptype) in costs:
        return np.nan_to_num(costs[(phase, ptype)])
    if phase == "send" and ("primary", "expansion") in costs:
        # SEND place about 4 x a primary place (North Yorkshire, citing DfE).
        return 4.0 * np.nan_to_num(costs[("primary", "expansion")])
    if phase == "sixth_form":
        return _cpp(costs, "secondary", ptype, n)
    return np.zeros(n)


# --------------------------------------------------------------------------- forecast


def forecast(region: Region, assumptions: Assumptions | None = None, scenario_name: str = "base") -> Results:
    """Run the whole forecast for a region.

    Parameters
    ----------
    region : Region
        A validated region with sites and zones placed (``site_areas``, ``zone_areas``).
    assumptions : Assumptions, optional
        Defaults to the region's stored assumptions.
    scenario_name : str
        Recorded in the provenance.

    Returns
    -------
    Results
    """
    a = assumptions or region.assumptions()
    idx = _index(region, a)
    n_area, n_year = len(idx.areas), len(idx.years)
    n_council = len(idx.councils)
    base, rolls = baseline(region, idx, a)

    dwellings, built, yields, pupils = site_arrays(region, idx, a)
    weights = site_weights(region, idx)
    housing = np.zeros((n_area, n_year, N_NCY))
    for p, phase in enumerate(PHASES):
        if phase not in PHASE_NCY:
            continue
        lo, hi = PHASE_NCY[phase]
        w = weights[AREA_PHASE_OF[phase]]
        by_area = w.T @ pupils[:, p, :]
        housing[:, :, lo:hi] += by_area[:, :, None] / (hi - lo)
    housing = apply_flows(housing, cached_on((region.flows, region.planning_areas), ("flows",), lambda: _flows(region, idx)))
    total = base + housing
    pupils_area = total.sum(axis=2)

    cap_base = cached_on((region.schools, region.planning_areas), ("capacity",), lambda: base_capacity(region, idx))
    capacity = cap.capacity_by_year(cap_base, region.capacity_changes, idx.areas, idx.area_phase, idx.years)
    sf = cap.shortfall(pupils_area, capacity, a.headroom, idx.places_per_fe)

    # ---- funding
    costs = cost_lookup(region, idx, a)
    new = fund.new_places(sf.places_needed)
    new_school = fund.project_type_is_new_school(sf.places_needed, idx.places_per_fe, a.new_school_fe)
    cpp_area = np.zeros(n_area)
    for phase in ("primary", "secondary"):
        sel = idx.area_phase == phase
        exp = _cpp(costs, phase, "expansion", n_council)[idx.area_council]
        ns = _cpp(costs, phase, "new_school", n_council)[idx.area_council]
        cpp_area = np.where(sel, np.where(new_school, ns, exp), cpp_area)
    area_cost = fund.shift_earlier(new * cpp_area[:, None], a.cost_lead_years)

    site_council = idx.councils.get_indexer(region.sites["council_code"].astype(str))
    p_send = PHASES.index("send")
    send_pupils = fund.group_sum(pupils[:, p_send, :], site_council, n_council)
    send_new = fund.new_places(send_pupils)
    send_cost = fund.shift_earlier(send_new * _cpp(costs, "send", "expansion", n_council)[:, None], a.cost_lead_years)

    short_area = sf.places_needed.max(axis=1) > 0 if n_year else np.zeros(n_area, dtype=bool)
    large = dwellings >= a.contribution_threshold
    contrib = np.zeros((len(dwellings), len(PHASES)))
    for p, phase in enumerate(PHASES):
        cpp = _cpp(costs, phase, "expansion", n_council)[site_council]
        if phase == "send":
            lacking = np.ones(len(dwellings))
        else:
            lacking = weights[AREA_PHASE_OF[phase]] @ short_area.astype(float)
        contrib[:, p] = fund.contribution(dwellings, yields[:, p], cpp) * lacking
    sought = contrib * large[:, None]
    unfunded = contrib * ~large[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        paid_share = np.where(dwellings[:, None] > 0, built / np.where(dwellings > 0, dwellings, 1.0)[:, None], 0.0)
    contrib_year = fund.group_sum(sought.sum(axis=1)[:, None] * paid_share, site_council, n_council)

    area_cost_c = fund.group_sum(area_cost, idx.area_council, n_council)
    new_c = fund.group_sum(new, idx.area_council, n_council) + send_new
    cost_c = area_cost_c + send_cost
    basic_need, other = cached_on((region.funding, idx), ("funding",), lambda: _funding(region, idx))
    gap = fund.funding_gap(cost_c, contrib_year, basic_need, other)

    warnings = list(cached_on((region.site_areas,), ("warnings",), lambda: _placement_warnings(region)))
    return Results(
        {
            "shortfall": lambda: _shortfall_frame(idx, sf, base, housing),
            "pupils": lambda: _pupils_frame(idx, base, housing),
            "funding_gap": lambda: _funding_frame(idx, new_c, cost_c, contrib_year, basic_need, other, gap),
            "contributions": lambda: _contributions_frame(region, idx, dwellings, yields, sought, large),
            "sites": lambda: _sites_frame(region, idx, dwellings, built, pupils, sought, unfunded, large),
            "small_sites": lambda: _small_sites_frame(region, idx, dwellings, yields, unfunded, large, site_council),
            "development_headroom": lambda: _headroom_frame(region, idx, sf, a),
            "provenance": lambda: provenance(region, a, scenario_name),
        },
        warnings=warnings,
    )


def base_capacity(region: Region, idx: _Index) -> np.ndarray:
    """Base-year places per planning area: schools' primary and secondary capacity."""
    schools = region.schools
    cap_base = np.zeros(len(idx.areas))
    for col, area_col in (("capacity_primary", "primary_planning_area"), ("capacity_secondary", "secondary_planning_area")):
        ai = idx.areas.get_indexer(schools[area_col].astype("string").fillna(""))
        ok = ai >= 0
        np.add.at(cap_base, ai[ok], np.nan_to_num(schools[col].to_numpy(dtype=float))[ok])
    return cap_base


def _flows(region: Region, idx: _Index):
    # Planning-area codes are unique across phases, so one matrix carries both phases.
    if region.flows.empty:
        return sparse.identity(len(idx.areas), format="csr")
    fl = region.flows.assign(phase="all")
    return flow_matrix(fl, idx.areas, "all")


def _funding(region: Region, idx: _Index) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(idx.councils), len(idx.years))
    bn, other = np.zeros(shape), np.zeros(shape)
    f = region.funding
    if f.empty:
        return bn, other
    ci = idx.councils.get_indexer(f["council_code"].astype(str))
    yi = np.searchsorted(idx.years, f["academic_year"].to_numpy(dtype=int))
    ok = (ci >= 0) & np.isin(f["academic_year"].to_numpy(dtype=int), idx.years)
    is_bn = f["source"].astype(str).str.lower().eq("basic_need").to_numpy()
    amount = f["amount"].to_numpy(dtype=float)
    np.add.at(bn, (ci[ok & is_bn], yi[ok & is_bn]), amount[ok & is_bn])
    np.add.at(other, (ci[ok & ~is_bn], yi[ok & ~is_bn]), amount[ok & ~is_bn])
    return bn, other


def _placement_warnings(region: Region) -> list[str]:
    if region.site_areas.empty:
        return []
    near = region.site_areas[region.site_areas["method"] == "nearest"].drop_duplicates("id")
    return [
        f"site {row.id}: outside every {row.phase} planning area; placed in the nearest, "
        f"{row.planning_area_code} ({row.distance_m:,.0f} m away)"
        for row in near.itertuples()
    ]


# --------------------------------------------------------------------------- frames


def _grid(idx: _Index) -> pd.DataFrame:
    """Key columns of per-area-and-year tables (cached: strings are slow to build)."""

    def compute():
        n_year = len(idx.years)
        labels = np.array([academic_year_label(y) for y in idx.years], dtype=object)
        return pd.DataFrame(
            {
                "council_code": np.repeat(idx.councils.to_numpy(dtype=object)[idx.area_council], n_year),
                "council": np.repeat(idx.council_names[idx.area_council], n_year),
                "planning_area_code": np.repeat(idx.areas.to_numpy(dtype=object), n_year),
                "planning_area": np.repeat(idx.area_names, n_year),
                "phase": np.repeat(idx.area_phase, n_year),
                "academic_year": np.tile(labels, len(idx.areas)),
            }
        )

    return cached_on((idx,), ("grid",), compute)


def _grid_ncy(idx: _Index) -> tuple[pd.DataFrame, np.ndarray]:
    """Key columns by area, year and NCY for the grades each area holds, and the mask used."""

    def compute():
        n_year = len(idx.years)
        mask = np.repeat(idx.grade_mask[:, None, :], n_year, axis=1).ravel()
        rows = np.repeat(np.arange(len(idx.areas) * n_year), N_NCY)[mask]
        grid = _grid(idx).iloc[rows].reset_index(drop=True)
        grid["ncy"] = np.tile(np.array(NCY_LABELS, dtype=object), len(idx.areas) * n_year)[mask]
        return grid, mask

    return cached_on((idx,), ("grid_ncy",), compute)


def _with(keys: pd.DataFrame, values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([keys, pd.DataFrame(values, index=keys.index)], axis=1)


def _shortfall_frame(idx: _Index, sf: cap.Shortfall, base: np.ndarray, housing: np.ndarray) -> pd.DataFrame:
    return _with(
        _grid(idx),
        {
            "pupils_forecast": sf.pupils.ravel(),
            "baseline_pupils": base.sum(axis=2).ravel(),
            "housing_pupils": housing.sum(axis=2).ravel(),
            "capacity": sf.capacity.ravel(),
            "headroom_places": sf.headroom_places.ravel(),
            "spare_places": sf.spare_places.ravel(),
            "places_needed": sf.places_needed.ravel(),
            "forms_of_entry_needed": sf.forms_of_entry_needed.ravel(),
        },
    )


def _pupils_frame(idx: _Index, base: np.ndarray, housing: np.ndarray) -> pd.DataFrame:
    """Long table by area, year and NCY of the grades each area holds."""
    keys, mask = _grid_ncy(idx)
    b = base.ravel()[mask]
    h = housing.ravel()[mask]
    return _with(keys, {"baseline_pupils": b, "housing_pupils": h, "pupils_forecast": b + h})


def _funding_frame(idx, new_c, cost_c, contrib, bn, other, gap) -> pd.DataFrame:
    def keys():
        n_year, n_c = len(idx.years), len(idx.councils)
        return pd.DataFrame(
            {
                "council_code": np.repeat(idx.councils.to_numpy(dtype=object), n_year),
                "council": np.repeat(idx.council_names, n_year),
                "academic_year": np.tile(np.array([academic_year_label(y) for y in idx.years], dtype=object), n_c),
            }
        )

    return _with(
        cached_on((idx,), ("council_grid",), keys),
        {
            "places_needed": new_c.ravel(),
            "cost": cost_c.ravel(),
            "contributions": contrib.ravel(),
            "basic_need": bn.ravel(),
            "other_funding": other.ravel(),
            "funding_gap": gap.ravel(),
            "cumulative_funding_gap": np.cumsum(gap, axis=1).ravel(),
        },
    )


def _site_base(region: Region) -> pd.DataFrame:
    s = region.sites
    return pd.DataFrame({c: s[c].array for c in ("site_id", "site", "council_code")})


def _placement_summary(region: Region) -> pd.DataFrame:
    """Main planning area of each site per phase, and how it was placed (cached)."""

    def compute():
        sa = region.site_areas
        out = pd.DataFrame(index=pd.Index(sa["id"].unique(), name="site_id"))
        for phase in ("primary", "secondary"):
            rows = sa[sa["phase"] == phase].sort_values("share", ascending=False).drop_duplicates("id")
            out[f"{phase}_planning_area"] = rows.set_index("id")["planning_area_code"].reindex(out.index)
        # The methods each site was placed by, joined: a few kinds, so one pass per kind.
        label = np.full(len(out), "", dtype=object)
        for method in sorted(sa["method"].unique()):
            has = member(out.index, sa.loc[sa["method"] == method, "id"])
            label = np.where(has, np.where(label == "", method, label + "," + method), label)
        out["placement"] = label
        return out

    return cached_on((region.site_areas,), ("placement",), compute)


def _contributions_frame(region, idx, dwellings, yields, sought, large) -> pd.DataFrame:
    values = {"dwellings": dwellings, "at_or_above_threshold": large}
    for p, phase in enumerate(PHASES):
        values[f"yield_{phase}"] = yields[:, p]
        values[f"contribution_{phase}"] = sought[:, p]
    values["contribution_total"] = sought.sum(axis=1)
    return _with(_site_base(region), values)


def _sites_frame(region, idx, dwellings, built, pupils, sought, unfunded, large) -> pd.DataFrame:
    s = region.sites
    keys = _site_base(region)
    keys["status"] = s["status"].array
    values = {
        "dwellings": dwellings,
        "first_year": s["first_year"].to_numpy(),
        "build_rate": s["build_rate"].to_numpy(),
        "completed_in_horizon": built.sum(axis=1),
    }
    for p, phase in enumerate(PHASES):
        values[f"peak_{phase}_pupils"] = pupils[:, p, :].max(axis=1) if pupils.shape[2] else np.zeros(len(s))
    values.update(contribution_total=sought.sum(axis=1), unfunded_cost=unfunded.sum(axis=1), at_or_above_threshold=large)
    out = _with(keys, values)
    if not region.site_areas.empty:
        summary = _placement_summary(region).reindex(s["site_id"].to_numpy(dtype=object))
        out = pd.concat([out, summary.reset_index(drop=True)], axis=1)
    return out


def _small_sites_frame(region, idx, dwellings, yields, unfunded, large, site_council) -> pd.DataFrame:
    small = ~large & (dwellings > 0)
    n_c = len(idx.councils)
    cols = {
        "council_code": idx.councils.to_numpy(dtype=object),
        "council": idx.council_names,
        "sites": fund.group_sum(small.astype(float), site_council, n_c),
        "dwellings": fund.group_sum(dwellings * small, site_council, n_c),
    }
    for p, phase in enumerate(PHASES):
        cols[f"pupils_{phase}"] = fund.group_sum(dwellings * yields[:, p] * small, site_council, n_c)
    cols["unfunded_cost"] = fund.group_sum(unfunded.sum(axis=1), site_council, n_c)
    return pd.DataFrame(cols)


def _headroom_frame(region: Region, idx: _Index, sf: cap.Shortfall, a: Assumptions) -> pd.DataFrame:
    spare = np.clip(sf.capacity - sf.pupils * (1 + a.headroom), 0, None)
    yields = cached_on((region.yields,), ("all_yields", json.dumps(a.yield_multipliers, sort_keys=True)),
                     lambda: site_yields(pd.DataFrame(index=[0]), region.yields, "all", a.yield_multipliers)[0])
    per_dwelling = np.where(
        idx.area_phase == "primary",
        yields[PHASES.index("primary")],
        yields[PHASES.index("secondary")] + yields[PHASES.index("sixth_form")],
    )
    return development_headroom(
        idx.councils.to_numpy(dtype=object)[idx.area_council], idx.areas.to_numpy(dtype=object), idx.area_names,
        idx.area_phase, spare, per_dwelling, idx.places_per_fe,
    )


def provenance(region: Region, a: Assumptions, scenario_name: str) -> pd.DataFrame:
    """Key/value table of what a result rests on: data, assumptions, scenario, version."""
    from placeplan import __version__

    rows = [
        ("placeplan_version", __version__),
        ("scenario", scenario_name),
        ("region_source", region.source or "(in memory)"),
    ]
    rows += [(f"data.{k}", v) for k, v in region.meta_dict.items() if not k.startswith("assumption.")]
    rows += [(f"assumption.{k}", json.dumps(v, sort_keys=True)) for k, v in a.to_dict().items()]
    return pd.DataFrame(rows, columns=["key", "value"])
