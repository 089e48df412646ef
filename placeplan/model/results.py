"""The tables of a forecast, built from its arrays when first read, and their provenance."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.constants import N_NCY, NCY_LABELS, PHASES, academic_year_label
from placeplan.model.development import development_capacity
from placeplan.model.funding import group_sum
from placeplan.model.geography import placement_summary
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.capacity import Shortfall
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = ["Results", "ForecastArrays", "results", "area_year_keys", "council_year_keys", "provenance"]


class Results:
    """Tables of one forecast, each a tidy DataFrame, and where they came from.

    Attributes ``shortfall``, ``pupils``, ``funding_gap``, ``contributions``, ``sites``,
    ``small_sites``, ``development_headroom`` and ``provenance`` are DataFrames, built
    from the forecast's arrays the first time each is read: a page showing two tables
    does not pay for eight. ``warnings`` lists placement warnings and a netting that
    could not be done (also in the provenance).
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


@dataclass(frozen=True)
class ForecastArrays:
    """The arrays of one forecast, by step (shapes: A areas, Y years, G NCYs, S sites,
    P phases, C councils)."""

    idx: RegionIndex
    baseline: np.ndarray        # (A, Y, G) baseline pupils
    housing: np.ndarray         # (A, Y, G) pupils from housing, after flows
    shortfall: Shortfall        # (A, Y) each
    dwellings: np.ndarray       # (S,)
    built: np.ndarray           # (S, Y) completions
    yields: np.ndarray          # (S, P) pupils per dwelling
    pupils: np.ndarray          # (S, P, Y) pupils from each site
    funding: object             # forecast.FundingInputs (pairs, caps, costs, grants)
    projects: object            # projects.Projects: the project per area (A,) and its places (A, Y)
    attributions: dict          # kind -> contributions.Attribution
    new_places: np.ndarray      # (C, Y) places opening (projects, extra places, early years, SEND)
    cost: np.ndarray            # (C, Y)
    housing_cost: np.ndarray    # (C, Y) cost of the places needed because of housing
    contributions: np.ndarray   # (C, Y) sought, by receiving council and the year places open
    unfunded: np.ndarray        # (C, Y) shares of small sites and uncharged phases
    basic_need: np.ndarray      # (C, Y) allocated
    basic_need_used: np.ndarray  # (C, Y)
    other_funding: np.ndarray   # (C, Y) allocated
    other_used: np.ndarray      # (C, Y)
    funding_gap: np.ndarray     # (C, Y) >= 0
    unallocated: np.ndarray     # (C, Y) funding received, not yet needed
    yield_basis: np.ndarray | None = None  # (S,) the mix each site's yield rests on


def results(region: Region, a: Assumptions, x: ForecastArrays, scenario_name: str, warnings: list[str]) -> Results:
    """:class:`Results` whose tables are built from ``x`` when first read."""
    return Results(
        {
            "shortfall": lambda: _shortfall_frame(x),
            "pupils": lambda: _pupils_frame(x),
            "funding_gap": lambda: _funding_frame(region, x),
            "contributions": lambda: _contributions_frame(region, x),
            "sites": lambda: _sites_frame(region, x),
            "small_sites": lambda: _small_sites_frame(region, x),
            "development_headroom": lambda: development_capacity(region, x.idx, x.shortfall, a),
            "provenance": lambda: provenance(region, a, scenario_name, warnings, x),
        },
        warnings=warnings,
    )


# --------------------------------------------------------------------------- key columns


def area_year_keys(idx: RegionIndex) -> pd.DataFrame:
    """Key columns of per-area-and-year tables (cached: strings are slow to build)."""

    def compute():
        n_year = len(idx.years)
        return pd.DataFrame(
            {
                "council_code": np.repeat(idx.councils.to_numpy(dtype=object)[idx.area_council], n_year),
                "council": np.repeat(idx.council_names[idx.area_council], n_year),
                "planning_area_code": np.repeat(idx.areas.to_numpy(dtype=object), n_year),
                "planning_area": np.repeat(idx.area_names, n_year),
                "phase": np.repeat(idx.area_phase, n_year),
                "academic_year": np.tile(_year_labels(idx), len(idx.areas)),
            }
        )

    return cached_on((idx,), ("grid",), compute)


def council_year_keys(idx: RegionIndex) -> pd.DataFrame:
    """Key columns of per-council-and-year tables (cached)."""

    def compute():
        n_year, n_c = len(idx.years), len(idx.councils)
        return pd.DataFrame(
            {
                "council_code": np.repeat(idx.councils.to_numpy(dtype=object), n_year),
                "council": np.repeat(idx.council_names, n_year),
                "academic_year": np.tile(_year_labels(idx), n_c),
            }
        )

    return cached_on((idx,), ("council_grid",), compute)


def _year_labels(idx: RegionIndex) -> np.ndarray:
    return np.array([academic_year_label(y) for y in idx.years], dtype=object)


def _area_year_ncy_keys(idx: RegionIndex) -> tuple[pd.DataFrame, np.ndarray]:
    """Key columns by area, year and NCY for the grades each area holds, and the mask used."""

    def compute():
        n_year = len(idx.years)
        mask = np.repeat(idx.grade_mask[:, None, :], n_year, axis=1).ravel()
        rows = np.repeat(np.arange(len(idx.areas) * n_year), N_NCY)[mask]
        grid = area_year_keys(idx).iloc[rows].reset_index(drop=True)
        grid["ncy"] = np.tile(np.array(NCY_LABELS, dtype=object), len(idx.areas) * n_year)[mask]
        return grid, mask

    return cached_on((idx,), ("grid_ncy",), compute)


def _with(keys: pd.DataFrame, values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([keys, pd.DataFrame(values, index=keys.index)], axis=1)


# --------------------------------------------------------------------------- tables


def _shortfall_frame(x: ForecastArrays) -> pd.DataFrame:
    sf = x.shortfall
    return _with(
        area_year_keys(x.idx),
        {
            "pupils_forecast": sf.pupils.ravel(),
            "baseline_pupils": x.baseline.sum(axis=2).ravel(),
            "housing_pupils": x.housing.sum(axis=2).ravel(),
            "capacity": sf.capacity.ravel(),
            "headroom_places": sf.headroom_places.ravel(),
            "spare_places": sf.spare_places.ravel(),
            "places_needed": sf.places_needed.ravel(),
            "forms_of_entry_needed": sf.forms_of_entry_needed.ravel(),
        },
    )


def _pupils_frame(x: ForecastArrays) -> pd.DataFrame:
    """Long table by area, year and NCY of the grades each area holds."""
    keys, mask = _area_year_ncy_keys(x.idx)
    b = x.baseline.ravel()[mask]
    h = x.housing.ravel()[mask]
    return _with(keys, {"baseline_pupils": b, "housing_pupils": h, "pupils_forecast": b + h})


#: What the funding table says of Basic Need when the region's data do not say more.
BASIC_NEED_NOTE = ("Basic Need as given in the region's funding table, in the years allocated; "
                   "allocations outside the forecast years are not counted.")


def _funding_frame(region: Region, x: ForecastArrays) -> pd.DataFrame:
    costed = np.isfinite(x.funding.early_years_cpp)
    out = _with(
        council_year_keys(x.idx),
        {
            "places_needed": x.new_places.ravel(),
            "cost": x.cost.ravel(),
            "contributions": x.contributions.ravel(),
            "basic_need": x.basic_need.ravel(),
            "other_funding": x.other_funding.ravel(),
            "funding_gap": x.funding_gap.ravel(),
            "unallocated_funding": x.unallocated.ravel(),
            "cumulative_funding_gap": np.cumsum(x.funding_gap, axis=1).ravel(),
            "housing_cost": x.housing_cost.ravel(),
            "housing_cost_not_sought": x.unfunded.ravel(),
            "basic_need_used": x.basic_need_used.ravel(),
            "other_funding_used": x.other_used.ravel(),
            "early_years": np.repeat(np.where(costed, "costed", "not costed"), len(x.idx.years)).astype(object),
        },
    )
    out["basic_need_note"] = region.meta_dict.get("basic_need_note", BASIC_NEED_NOTE)
    return out


def _site_keys(region: Region) -> pd.DataFrame:
    s = region.sites
    return pd.DataFrame({c: s[c].array for c in ("site_id", "site", "council_code")})


def _contribution_rows(x: ForecastArrays) -> pd.DataFrame:
    """Positions of site, receiving council, kind; places, cap, contribution, unfunded cost."""
    from placeplan.model.contributions import long_table

    def compute():
        frames = [long_table(x.funding.pairs[k], att, k, x.funding.pays[k]) for k, att in x.attributions.items()]
        return pd.concat(frames, ignore_index=True)

    return cached_on((x.attributions,), ("contribution_rows",), compute)


def _contributions_frame(region: Region, x: ForecastArrays) -> pd.DataFrame:
    """Per site, phase and receiving council: places charged, DfE's formula (the cap), the
    contribution sought and the unfunded cost (sites below the threshold, uncharged phases)."""
    rows = _contribution_rows(x)
    keys = _site_keys(region).iloc[rows["site"].to_numpy()].reset_index(drop=True)
    codes = x.idx.councils.to_numpy(dtype=object)
    out = keys.assign(
        dwellings=x.dwellings[rows["site"].to_numpy()], phase=rows["phase"].to_numpy(),
        receiving_council_code=codes[rows["receiving_council"].to_numpy()],
        receiving_council=x.idx.council_names[rows["receiving_council"].to_numpy()],
    )
    for c in ("places", "formula_cap", "contribution", "unfunded_cost"):
        out[c] = rows[c].to_numpy()
    return out


def _per_site(x: ForecastArrays, column: str) -> np.ndarray:
    rows = _contribution_rows(x)
    return np.bincount(rows["site"].to_numpy(dtype=int), weights=rows[column].to_numpy(), minlength=len(x.dwellings))


def _sites_frame(region: Region, x: ForecastArrays) -> pd.DataFrame:
    s = region.sites
    keys = _site_keys(region)
    keys["status"] = s["status"].array
    values = {
        "dwellings": x.dwellings,
        "first_year": s["first_year"].to_numpy(),
        "build_rate": s["build_rate"].to_numpy(),
        "completed_in_horizon": x.built.sum(axis=1),
    }
    if x.yield_basis is not None:
        values["yield_basis"] = x.yield_basis
    for p, phase in enumerate(PHASES):
        values[f"peak_{phase}_pupils"] = x.pupils[:, p, :].max(axis=1) if x.pupils.shape[2] else np.zeros(len(s))
    values.update(contribution_total=_per_site(x, "contribution"), unfunded_cost=_per_site(x, "unfunded_cost"),
                  at_or_above_threshold=x.funding.large)
    out = _with(keys, values)
    if not region.site_areas.empty:
        summary = placement_summary(region).reindex(s["site_id"].to_numpy(dtype=object))
        out = pd.concat([out, summary.reset_index(drop=True)], axis=1)
    return out


def _small_sites_frame(region: Region, x: ForecastArrays) -> pd.DataFrame:
    """Per council: its sites below the threshold, their pupils, and the unfunded cost of
    their shares, credited to the council whose schools take the pupils."""
    idx, sc = x.idx, x.funding.site_council
    small = ~x.funding.large & (x.dwellings > 0)
    n_c = len(idx.councils)
    cols = {
        "council_code": idx.councils.to_numpy(dtype=object),
        "council": idx.council_names,
        "sites": group_sum(small.astype(float), sc, n_c),
        "dwellings": group_sum(x.dwellings * small, sc, n_c),
    }
    for p, phase in enumerate(PHASES):
        cols[f"pupils_{phase}"] = group_sum(x.dwellings * x.yields[:, p] * small, sc, n_c)
    rows = _contribution_rows(x)
    of_small = small[rows["site"].to_numpy(dtype=int)]
    cols["unfunded_cost"] = group_sum(rows["unfunded_cost"].to_numpy() * of_small,
                                      rows["receiving_council"].to_numpy(dtype=int), n_c)
    return pd.DataFrame(cols)


def provenance(region: Region, a: Assumptions, scenario_name: str, warnings=(),
               x: ForecastArrays | None = None) -> pd.DataFrame:
    """Key/value table of what a result rests on: data, assumptions, scenario, version;
    with the forecast's arrays ``x``, also the background rates netted per council and the
    number of sites on each yield basis; and every warning."""
    from placeplan import __version__

    rows = [
        ("placeplan_version", __version__),
        ("scenario", scenario_name),
        ("region_source", region.source or "(in memory)"),
    ]
    rows += [(f"data.{k}", v) for k, v in region.meta_dict.items() if not k.startswith("assumption.")]
    rows += [(f"assumption.{k}", json.dumps(v, sort_keys=True)) for k, v in a.to_dict().items()]
    if x is not None:
        from placeplan.model.completions import netting_rate

        rate = netting_rate(region, x.idx.councils, a) if a.netting else np.full(len(x.idx.councils), np.nan)
        netted = {str(c): (None if not np.isfinite(r) else round(float(r), 1)) for c, r in zip(x.idx.councils, rate)}
        rows.append(("netting.dwellings_per_year_netted", json.dumps(netted, sort_keys=True) if a.netting else "netting off"))
        from placeplan.model.yields import CONVERGENCE_YEARS, LONG_RUN_MULTIPLIER

        rows.append(("yield_profile.tail", f"converges to {LONG_RUN_MULTIPLIER:g} x the yield by year "
                                           f"{CONVERGENCE_YEARS} after completion"))
        if x.yield_basis is not None:
            labels, counts = np.unique(x.yield_basis.astype(str), return_counts=True)
            rows.append(("sites.yield_basis", json.dumps(dict(zip(labels.tolist(), counts.tolist())), sort_keys=True)))
    rows += [("warning", str(w)) for w in warnings]
    return pd.DataFrame(rows, columns=["key", "value"])
