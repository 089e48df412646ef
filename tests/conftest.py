"""Literal fixture frames: a tiny two-council region whose results are worked by hand.

Councils A (west) and B (east) are 2 km squares side by side.  Each has one primary and
one secondary planning area covering it and one ward.  A 200-dwelling polygon site
straddles the border, half in each council.
"""

from __future__ import annotations

import os
import time
import urllib.request

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from placeplan.io.bundle import region_from_frames

# The app under test starts new scenario stores in temporary folders: say so explicitly
# (a store that does not exist is created only when asked; see docs/security.md).
os.environ.setdefault("PLACEPLAN_STORE_CREATE", "1")

X0, Y0 = 400_000, 200_000
A_BOX = box(X0, Y0, X0 + 2000, Y0 + 2000)
B_BOX = box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)


def gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=27700)


def tiny_frames(**overrides) -> dict[str, pd.DataFrame]:
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


@pytest.fixture
def tiny_region():
    return region_from_frames(tiny_frames(), source="tiny")


@pytest.fixture
def flows_frame():
    return pd.DataFrame([{"from_planning_area": "PB1", "to_planning_area": "PA1", "phase": "primary", "share": 0.2}])


@pytest.fixture(scope="session")
def demo_region():
    import placeplan as pp

    return pp.load_region()


def approx(x, rel=1e-9, abs=1e-9):
    return pytest.approx(x, rel=rel, abs=abs)




def app_is_up(url: str, seconds: float = 120) -> bool:
    """Wait until the app at ``url`` answers Streamlit's health check; False if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.5)
    return False
