"""A scenario's rows checked with the bundle's own schema (:mod:`placeplan.io.schema`).

New sites, capacity changes, costs and funding rows of a scenario are the same things as the
bundle's ``sites``, ``capacity_changes``, ``costs`` and ``funding`` layers, so they are checked
by the same :func:`~placeplan.io.validate.check_layer`: types, ranges, finiteness, allowed
values, years in range, no control characters, ids unique ignoring case; then unique keys,
and (against a region) known councils, planning areas of the right phase, years not before
the base year and new sites within :data:`~placeplan.io.schema.MAX_SITE_DISTANCE_M` of a
planning area. ``validate`` then passes only what ``forecast`` runs.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from placeplan.errors import Problem
from placeplan.io.schema import LAYERS, MAX_SITE_DISTANCE_M, Column, Layer
from placeplan.io.validate import check_layer, duplicate_rows
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario
from placeplan.model.trajectory import trajectory_problems

__all__ = ["ROW_LAYERS", "check_against_region", "check_scenario_rows"]


def _optional(layer: str, keep: tuple[str, ...], extra: tuple[Column, ...] = ()) -> Layer:
    """The bundle layer with only ``keep`` columns required (the scenario fills the rest)."""
    cols = tuple(dataclasses.replace(c, ref=None, required=c.name in keep, nullable=c.nullable or c.name not in keep)
                 for c in LAYERS[layer].columns)
    return dataclasses.replace(LAYERS[layer], columns=cols + extra, geometry=())


_LOCATION = (
    Column("easting", "float", "EPSG:27700 metres", required=False, nullable=True, min=0, max=700_000),
    Column("northing", "float", "EPSG:27700 metres", required=False, nullable=True, min=0, max=1_300_000),
    Column("planning_area_code", "str", "planning area", required=False, nullable=True),
    Column("primary_planning_area", "str", "primary planning area", required=False, nullable=True),
    Column("secondary_planning_area", "str", "secondary planning area", required=False, nullable=True),
)

#: scenario list -> (layer spec its rows follow, columns that make a row's key)
ROW_LAYERS: dict[str, tuple[Layer, tuple[str, ...] | None]] = {
    "add_sites": (_optional("sites", ("site_id", "council_code", "dwellings"), _LOCATION), ("site_id",)),
    "capacity_changes": (LAYERS["capacity_changes"], None),  # None: a whole row repeated is refused
    "costs": (_optional("costs", ("council_code", "phase", "project_type", "cost_per_place")),
              ("council_code", "phase", "project_type")),
    "funding": (LAYERS["funding"], None),
}


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def check_scenario_rows(scenario: Scenario, file: str = "") -> list[Problem]:
    """Problems in the scenario's rows by themselves (no region needed).

    Rows are numbered from 1 within their list (``layer add_sites, row 2`` is the second new site).
    """
    problems: list[Problem] = []
    for key, (spec, unique) in ROW_LAYERS.items():
        rows = getattr(scenario, key)
        if not rows:
            continue
        known = {c.name for c in spec.columns}
        clean = []
        for i, row in enumerate(rows, start=1):
            for col, value in row.items():
                if col not in known:
                    problems.append(Problem(file, key, i, str(col), f"unknown column; expected {', '.join(sorted(known))}"))
                elif not _is_scalar(value):
                    problems.append(Problem(file, key, i, col, f"must be a single value, not {type(value).__name__}"))
            clean.append({k: (v if _is_scalar(v) else None) for k, v in row.items() if k in known})
        frame = pd.DataFrame(clean, columns=[c.name for c in spec.columns if any(c.name in r for r in clean)])
        checked, found = check_layer(frame.astype(object), spec, file)
        for p in found:
            if key == "add_sites" and p.column == "site_id" and p.message.startswith("duplicate "):
                # in a scenario a repeated new site is one added twice (say so in the planner's words)
                p = dataclasses.replace(p, message=f"site {p.message.split(' ', 1)[1].split(':')[0]} is added twice")
            problems.append(dataclasses.replace(p, layer=key))
        if len(frame) and not found:
            problems.extend(duplicate_rows(checked, list(unique) if unique else list(frame.columns), key, file, 1))
    return problems


def check_against_region(region: Region, scenario: Scenario, file: str = "") -> list[Problem]:
    """Problems of a scenario (whose values :func:`placeplan.io.scenario_file.check_scenario`
    passed) against ``region``: unknown councils and planning areas, a planning area of the
    other phase, years before the base year, a new site far outside every planning area, a
    trajectory of a site the region lacks."""
    problems: list[Problem] = []
    councils = set(region.councils["council_code"].astype(str))
    phase_of = dict(zip(region.planning_areas["planning_area_code"].astype(str),
                        region.planning_areas["phase"].astype(str)))
    base = region.base_academic_year

    def bad(key: str, i: int, col: str, msg: str) -> None:
        problems.append(Problem(file, key, i, col, msg))

    for key in ("add_sites", "costs", "funding"):
        for i, row in enumerate(getattr(scenario, key), start=1):
            if "council_code" in row and str(row["council_code"]) not in councils:
                bad(key, i, "council_code", f"{row['council_code']!r} is not a council of the region "
                                            f"({', '.join(sorted(councils))})")
    for sid, change in scenario.edit_sites.items():
        if isinstance(change, dict) and "council_code" in change and str(change["council_code"]) not in councils:
            bad("edit_sites", None, f"{sid}.council_code", f"{change['council_code']!r} is not a council of the region")
    for code in scenario.background_rates:
        if str(code) not in councils:
            bad("background_rates", None, str(code), f"{code!r} is not a council of the region")
    for i, row in enumerate(scenario.capacity_changes, start=1):
        code = str(row.get("planning_area_code"))
        if code not in phase_of:
            bad("capacity_changes", i, "planning_area_code", f"{code!r} is not a planning area of the region")
        elif row.get("phase") and phase_of[code] != row["phase"]:
            bad("capacity_changes", i, "phase", f"{code!r} is a {phase_of[code]} planning area, not {row['phase']}")
    for key in ("capacity_changes", "funding"):
        for i, row in enumerate(getattr(scenario, key), start=1):
            year = _year(row.get("academic_year"))
            if year is not None and year < base:
                bad(key, i, "academic_year", f"year {row['academic_year']} is before the base year {region.base_year}")
    for i, row in enumerate(scenario.add_sites, start=1):
        for col in ("planning_area_code", "primary_planning_area", "secondary_planning_area"):
            if row.get(col) is not None and str(row[col]) not in phase_of:
                bad("add_sites", i, col, f"{row[col]!r} is not a planning area of the region")
    problems.extend(_far_sites(region, scenario.add_sites, file))
    ids = set(region.sites["site_id"].astype(str))
    problems.extend(dataclasses.replace(p, file=file) for p in trajectory_problems(region, scenario, ids))
    return problems


def _year(value: object) -> int | None:
    from placeplan.model.constants import parse_academic_year

    try:
        return int(parse_academic_year(value))
    except (TypeError, ValueError):
        return None


def _far_sites(region: Region, rows: list[dict], file: str) -> list[Problem]:
    """New sites placed by coordinates further than MAX_SITE_DISTANCE_M from every planning area."""
    located = [(i, float(r["easting"]), float(r["northing"])) for i, r in enumerate(rows, start=1)
               if r.get("easting") is not None and r.get("northing") is not None]
    areas = region.planning_areas
    areas = areas[areas.geometry.notna()] if isinstance(areas, gpd.GeoDataFrame) else areas.iloc[0:0]
    if not located or not len(areas):
        return []
    idx, x, y = zip(*located)
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=areas.crs)
    hull = areas.geometry.union_all() if hasattr(areas.geometry, "union_all") else areas.geometry.unary_union
    dist = points.distance(hull).to_numpy()
    return [Problem(file, "add_sites", i, "easting",
                    f"the site is {d / 1000:,.1f} km outside every planning area of the region (the limit is "
                    f"{MAX_SITE_DISTANCE_M / 1000:g} km): check its easting and northing")
            for i, d in zip(idx, dist) if d > MAX_SITE_DISTANCE_M]
