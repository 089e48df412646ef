"""Helpers for testing code that uses placeplan (as :mod:`geopandas.testing` does).

- :func:`tiny_frames` / :func:`tiny_region`: a two-council region small enough to work
  by hand. Councils A (Aville, west) and B (Beeton, east) are 2 km squares side by side;
  each has one primary and one secondary planning area covering it and one ward. A
  200-dwelling polygon site straddles the border, half in each council. Its horizon is 5.
- :func:`assert_results_equal`: every table of two :class:`~placeplan.model.forecast.Results`
  equal, numbers within a tolerance.

>>> from placeplan.testing import assert_results_equal, tiny_region
>>> import placeplan as pp
>>> region = tiny_region()
>>> assert_results_equal(pp.forecast(region), pp.forecast(region))
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

__all__ = ["A_BOX", "B_BOX", "X0", "Y0", "assert_results_equal", "gdf", "tiny_frames", "tiny_region"]

X0, Y0 = 400_000, 200_000
A_BOX = box(X0, Y0, X0 + 2000, Y0 + 2000)
B_BOX = box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)


def gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:27700 from literal rows with a ``geometry``."""
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=27700)


def tiny_frames(**overrides) -> dict[str, pd.DataFrame]:
    """The tiny region's layers by name, literal frames; ``overrides`` replace layers."""
    frames: dict[str, pd.DataFrame] = {
        "councils": gdf([
            {"council_code": "A", "council": "Aville", "la_number": 1, "geometry": A_BOX},
            {"council_code": "B", "council": "Beeton", "la_number": 2, "geometry": B_BOX},
        ]),
        "planning_areas": gdf([
            {"planning_area_code": "PA1", "planning_area": "Aville primary", "council_code": "A", "phase": "primary", "geometry": A_BOX},
            {"planning_area_code": "PB1", "planning_area": "Beeton primary", "council_code": "B", "phase": "primary", "geometry": B_BOX},
            {"planning_area_code": "SA1", "planning_area": "Aville secondary", "council_code": "A", "phase": "secondary", "geometry": A_BOX},
            {"planning_area_code": "SB1", "planning_area": "Beeton secondary", "council_code": "B", "phase": "secondary", "geometry": B_BOX},
        ]),
        "schools": gdf([
            {"urn": "1", "school": "Aville Primary", "council_code": "A", "phase": "primary", "primary_planning_area": "PA1",
             "secondary_planning_area": None, "net_capacity": 210.0, "capacity_primary": 210.0, "capacity_secondary": 0.0,
             "nor_primary": 200, "nor_secondary": 0, "nor_sixth_form": 0, "geometry": Point(X0 + 500, Y0 + 500)},
            {"urn": "2", "school": "Beeton Primary", "council_code": "B", "phase": "primary", "primary_planning_area": "PB1",
             "secondary_planning_area": None, "net_capacity": 420, "capacity_primary": 420, "capacity_secondary": 0,
             "nor_primary": 300, "nor_secondary": 0, "nor_sixth_form": 0, "geometry": Point(X0 + 3500, Y0 + 500)},
            {"urn": "3", "school": "Aville High", "council_code": "A", "phase": "secondary", "primary_planning_area": None,
             "secondary_planning_area": "SA1", "net_capacity": 750, "capacity_primary": 0, "capacity_secondary": 750,
             "nor_primary": 0, "nor_secondary": 600, "nor_sixth_form": 0, "geometry": Point(X0 + 600, Y0 + 1500)},
            {"urn": "4", "school": "Beeton High", "council_code": "B", "phase": "secondary", "primary_planning_area": None,
             "secondary_planning_area": "SB1", "net_capacity": 600, "capacity_primary": 0, "capacity_secondary": 600,
             "nor_primary": 0, "nor_secondary": 500, "nor_sixth_form": 0, "geometry": Point(X0 + 3600, Y0 + 1500)},
        ]),
        "zones": gdf([
            {"zone_code": "Z1", "zone": "Aville ward", "council_code": "A", **{f"pop_{a}": 30.0 for a in range(19)}, "geometry": A_BOX},
            {"zone_code": "Z2", "zone": "Beeton ward", "council_code": "B", **{f"pop_{a}": 50.0 for a in range(19)}, "geometry": B_BOX},
        ]),
        "sites": gdf([
            {"site_id": "S1", "site": "Border Farm", "council_code": "A", "dwellings": 200.0, "status": "permissioned",
             "first_year": 2016, "build_rate": 100.0, "geometry": box(X0 + 1000, Y0 + 500, X0 + 3000, Y0 + 1500)},
        ]),
        "yields": pd.DataFrame([
            {"phase": "primary", "dimension": "all", "category": "all", "pupils_per_dwelling": 0.25},
            {"phase": "secondary", "dimension": "all", "category": "all", "pupils_per_dwelling": 0.10},
            {"phase": "sixth_form", "dimension": "all", "category": "all", "pupils_per_dwelling": 0.0},
            {"phase": "early_years", "dimension": "all", "category": "all", "pupils_per_dwelling": 0.0},
            {"phase": "send", "dimension": "all", "category": "all", "pupils_per_dwelling": 0.0},
        ]),
        "yield_profile": pd.DataFrame([{"phase": "primary", "years_since_completion": 0, "multiplier": 1.0}]),
        "costs": pd.DataFrame([
            {"council_code": c, "phase": ph, "project_type": t, "cost_per_place": v, "location_factor": 1.0, "price_base": "2024/25"}
            for c in ("A", "B")
            for ph, t, v in (("primary", "expansion", 20_000.0), ("primary", "new_school", 25_000.0),
                             ("secondary", "expansion", 28_000.0), ("secondary", "new_school", 30_000.0))
        ]),
        "meta": pd.DataFrame([{"key": "base_year", "value": "2015"}, {"key": "region_name", "value": "tiny"},
                              {"key": "assumption.horizon", "value": "5"}]),
    }
    frames.update(overrides)
    return frames


def tiny_region(**overrides):
    """The tiny region, validated and placed (:func:`tiny_frames` with ``overrides``)."""
    from placeplan.io.bundle import region_from_frames

    return region_from_frames(tiny_frames(**overrides), source="tiny")


def assert_results_equal(left, right, rtol: float = 1e-9, atol: float = 1e-9, provenance: bool = False) -> None:
    """Assert two forecasts' results are equal, table by table.

    Every table of ``Results.TABLES`` is compared with
    :func:`pandas.testing.assert_frame_equal`: same columns, rows and types; numbers within
    ``atol + rtol * |right|``; the same warnings.

    Parameters
    ----------
    left, right : Results
    rtol, atol : float
        Relative and absolute tolerance of numbers.
    provenance : bool
        Compare the provenance table too (it names the scenario and the version, so it
        differs between runs that differ only in how they were asked for).

    Raises
    ------
    AssertionError
        Naming the first table that differs and how.
    """
    from pandas.testing import assert_frame_equal

    names = [n for n in left.TABLES if provenance or n != "provenance"]
    if list(left.TABLES) != list(right.TABLES):
        raise AssertionError(f"Results tables differ: {list(left.TABLES)} != {list(right.TABLES)}")
    for name in names:
        a, b = getattr(left, name), getattr(right, name)
        try:
            assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), check_exact=False, rtol=rtol, atol=atol)
        except AssertionError as exc:
            raise AssertionError(f"Results table {name!r} differs: {exc}") from None
    if list(left.warnings) != list(right.warnings):
        raise AssertionError(f"Results warnings differ: {left.warnings} != {right.warnings}")
