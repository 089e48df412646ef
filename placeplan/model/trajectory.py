"""Trajectories a scenario sets: a site's completions year by year, read and applied.

A scenario's ``trajectories`` maps a site id to its completions by academic year,
``{"CB:CB/17/05977/BRWN": {"2018/19": 100.0, "2019/20": 150.0}}``. Applying it replaces
that site's rows of the region's ``trajectories`` layer, which the completions step
(:func:`~placeplan.model.completions.completions`) then follows instead of the site's
first year and build rate. An empty mapping for a site drops its trajectory, so the site
builds from its first year at its build rate again.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.errors import Problem
from placeplan.model.completions import completions, site_inputs
from placeplan.model.constants import academic_year_label, parse_academic_year
from placeplan.model.region import Assumptions, Region

if TYPE_CHECKING:
    from placeplan.model.scenario import Scenario

__all__ = ["has_trajectory", "read_trajectories", "replace_trajectories", "scenario_site_trajectory", "site_trajectory",
           "trajectory_problems", "trajectory_rows", "with_trajectory", "without_trajectory"]

COLUMNS = ["site_id", "academic_year", "dwellings"]


def read_trajectories(value: object, file: str = "") -> tuple[dict[str, dict[str, object]], list[Problem]]:
    """A scenario's ``trajectories`` with each year written ``2018/19``, and the problems of its shape.

    Years may be given as ``2018/19`` or ``2018`` (the start year); the values are kept as
    given (checked against the ``trajectories`` layer's schema by
    :func:`placeplan.io.scenario_file.check_scenario`).
    """
    problems: list[Problem] = []
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        return {}, [Problem(file, "scenario", None, "trajectories",
                            'must map site ids to completions by academic year, e.g. {"S1": {"2018/19": 100}}')]
    out: dict[str, dict[str, object]] = {}
    for sid, years in value.items():
        row: dict[str, object] = {}
        for year, n in years.items():
            try:
                label = academic_year_label(parse_academic_year(year))
            except (TypeError, ValueError):
                problems.append(Problem(file, "scenario", None, f"trajectories.{sid}.{year}",
                                        f"{year!r} is not an academic year like 2024/25"))
                continue
            if label in row:
                problems.append(Problem(file, "scenario", None, f"trajectories.{sid}.{label}",
                                        f"the year {label} is given twice"))
            row[label] = n
        out[str(sid)] = dict(sorted(row.items()))
    return out, problems


def trajectory_rows(trajectories: dict[str, dict[str, float]]) -> pd.DataFrame:
    """A scenario's trajectories as rows of the ``trajectories`` layer (site_id, academic_year, dwellings)."""
    rows = [(str(sid), float(parse_academic_year(y)), float(n))
            for sid, years in trajectories.items() for y, n in years.items()]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"site_id": "string", "academic_year": float, "dwellings": float})


def trajectory_problems(region: Region, scenario: Scenario, ids: set[str]) -> list[Problem]:
    """Trajectories of sites the scenario's region lacks (``ids``: the region's site ids) or
    removes, and years before the base year (as a new site's first year)."""
    problems: list[Problem] = []
    added = {str(s["site_id"]) for s in scenario.add_sites}
    for sid, years in scenario.trajectories.items():
        where = f"trajectories.{sid}"
        if sid in scenario.remove_sites:
            problems.append(Problem("", "scenario", None, where, f"site {sid!r} is removed by the scenario"))
        elif sid not in ids | added:
            problems.append(Problem("", "scenario", None, where, f"no site {sid!r} in the region"))
        early = [y for y in years if _start(y) < region.base_academic_year]
        if early:
            problems.append(Problem("", "scenario", None, f"{where}.{early[0]}",
                                    f"year {early[0]} is before the base year {region.base_year}"))
    return problems


def _start(year: object) -> float:
    """Start year of an academic year; -inf for one that is not (reported by :func:`read_trajectories`)."""
    try:
        return parse_academic_year(year)
    except (TypeError, ValueError):
        return -np.inf


def replace_trajectories(base: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The region's trajectory rows with the scenario's sites' rows replaced, each site's
    rows moved by its ``edit_sites`` ``delay_years`` (as the delay moves its first year)."""
    out = base
    if scenario.trajectories:
        keep = ~base["site_id"].astype(str).isin(list(scenario.trajectories))
        out = pd.concat([base[keep], trajectory_rows(scenario.trajectories)], ignore_index=True)
    delays = {sid: int(e["delay_years"]) for sid, e in scenario.edit_sites.items() if e.get("delay_years")}
    if delays and len(out):
        out = out.copy()
        out["academic_year"] = out["academic_year"] + out["site_id"].astype(str).map(delays).fillna(0).to_numpy()
    return out


def site_trajectory(region: Region, site_id: str, years: np.ndarray, a: Assumptions | None = None) -> pd.Series:
    """Completions of one site by academic year, as the completions step makes them from the
    site's own inputs (its trajectory, or its first year and build rate), before the
    region-wide delay and build-rate levers unless ``a`` gives them.

    Returns
    -------
    pandas.Series
        Completions indexed by academic year label (``2018/19``), one per year of ``years``.
    """
    sites = region.sites
    one = sites[sites["site_id"].astype(str) == str(site_id)]
    tr = region.trajectories
    mine = tr[tr["site_id"].astype(str) == str(site_id)] if len(tr) else tr
    years = np.asarray(years, dtype=int)
    levers = a if a is not None else Assumptions(delay_years=0, build_rate_multiplier=1.0)
    dwellings, first, rate, traj = site_inputs(region.replace(sites=one, trajectories=mine), years, levers)
    built = completions(dwellings, first, rate, years, traj)
    return pd.Series(built[0] if len(built) else np.zeros(len(years)),
                     index=[academic_year_label(int(y)) for y in years], name="dwellings")



def scenario_site_trajectory(region: Region, scenario: Scenario, site_id: str, years: np.ndarray) -> pd.Series:
    """:func:`site_trajectory` of a site as ``scenario`` leaves it (its edits, its trajectory, or
    the new site it adds), applying only what touches that site."""
    from placeplan.model.scenario import Scenario, apply_scenario

    sid = str(site_id)
    only = Scenario(add_sites=[s for s in scenario.add_sites if str(s.get("site_id")) == sid],
                    edit_sites={k: v for k, v in scenario.edit_sites.items() if k == sid},
                    trajectories={k: v for k, v in scenario.trajectories.items() if k == sid})
    changed, _ = apply_scenario(region, only)
    return site_trajectory(changed, sid, years)


def has_trajectory(region: Region, scenario: Scenario, site_id: str) -> bool:
    """Whether the site follows an explicit trajectory in ``scenario`` (its own, else the region's)."""
    sid = str(site_id)
    if sid in scenario.trajectories:
        return bool(scenario.trajectories[sid])
    return _in_region(region, sid)


def _in_region(region: Region, sid: str) -> bool:
    tr = region.trajectories
    return bool(len(tr)) and bool((tr["site_id"].astype(str) == sid).any())


def with_trajectory(scenario: Scenario, site_id: str, completions: dict[str, float]) -> Scenario:
    """``scenario`` with the site's trajectory set to ``completions`` (academic year label ->
    dwellings; years with none are left out, one year is kept if all are 0). Years of the
    scenario's trajectory not in ``completions`` (beyond the years shown) are kept."""
    sid = str(site_id)
    given = {str(y): float(v) for y, v in completions.items() if v is not None and np.isfinite(v)}
    kept = {y: v for y, v in scenario.trajectories.get(sid, {}).items() if y not in given}
    years = {**kept, **{y: v for y, v in given.items() if v > 0}} or dict(list(given.items())[:1])
    return dataclasses.replace(scenario, trajectories={**scenario.trajectories, sid: dict(sorted(years.items()))})


def without_trajectory(region: Region, scenario: Scenario, site_id: str) -> Scenario:
    """``scenario`` with the site back to its first year and build rate: the scenario's
    trajectory dropped, and the region's (if it has one) replaced by none (``{}``)."""
    sid = str(site_id)
    rest = {k: v for k, v in scenario.trajectories.items() if k != sid}
    if _in_region(region, sid):  # the region's own: override it with none
        rest[sid] = {}
    return dataclasses.replace(scenario, trajectories=rest)
