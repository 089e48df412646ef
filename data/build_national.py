"""Build a national region bundle (all of England) for scale tests and benchmarks.

Usage::

    .venv/bin/python data/build_national.py [--raw ../shared/data/raw] [--out PATH] [--sites 50000] [--seed 1]

Default output: ``$PLACEPLAN_CACHE`` or ``~/.cache/placeplan``/``national_region.gpkg`` (not
committed: it is rebuilt from the raw data in about a minute).

What is real and what is not (see docs/scaling.md):

- real: every state school in England from SCAP 2015 (capacity, pupils on roll, primary and
  secondary planning-area codes), every English ward (December 2015, super generalised)
  with its mid-2015 population by single year of age, council boundaries, England's
  yields and each council's scorecard costs and Basic Need;
- derived: the 152 education authorities (districts joined to their county through the
  order of ONS's mid-2014 table), council polygons dissolved from wards;
- **synthetic**: planning-area polygons. School locations are not in the shared data for
  the whole country, so each authority's wards are ordered along a Morton (Z-order)
  curve of their centroids and cut into contiguous runs, one per planning area, sized
  by the area's share of the authority's places; and the housing pipeline: ``--sites``
  sites placed at random points inside real wards (chosen in proportion to population),
  sizes from a heavy-tailed (Pareto) distribution like real registers, seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))

from build_demo import PROFILE_SHAPE, YIELDS  # noqa: E402

from placeplan.model.scenario import default_build_rate  # noqa: E402

BNG = 27700
BASE_YEAR = 2015


def default_out() -> Path:
    base = os.environ.get("PLACEPLAN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "placeplan")
    return Path(base) / "national_region.gpkg"


def _norm(name: str) -> str:
    name = name.lower().replace("&", "and")
    name = re.sub(r"\b(city of|county of|county|borough|council|the|city)\b", "", name)
    return re.sub(r"[^a-z]", "", name)


def authorities(raw: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Education authorities (code, name, LA number) and each district's authority code."""
    m = pd.read_csv(raw / "population/ons_mye2_mid2014_uk_lad_sya_persons.csv", skiprows=2, usecols=[0, 1])
    m.columns = ["code", "name"]
    m = m[m["code"].str.startswith("E")]
    district_to_la: dict[str, str] = {}
    county = None
    for code in m["code"]:
        if code.startswith("E10"):
            county = code
        elif code.startswith("E07"):
            district_to_la[code] = county
        elif code[:3] in ("E06", "E08", "E09"):
            district_to_la[code] = code
    la = m[m["code"].str[:3].isin(["E10", "E06", "E08", "E09"])].assign(k=lambda d: d["name"].map(_norm))
    s = pd.read_csv(raw / "schools/scap2015_ud1_school_capacity_england.csv", usecols=["LA1", "LAname"]).drop_duplicates()
    s = s.assign(k=s["LAname"].map(_norm)).merge(la, on="k", how="inner")
    out = s.rename(columns={"code": "council_code", "name": "council", "LA1": "la_number"})[["council_code", "council", "la_number"]]
    return out.sort_values("council_code").reset_index(drop=True), district_to_la


def morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order key of points (16 bits a coordinate): nearby points get nearby keys."""
    def spread(v):
        v = v.astype(np.uint64)
        v = (v | (v << 8)) & 0x00FF00FF
        v = (v | (v << 4)) & 0x0F0F0F0F
        v = (v | (v << 2)) & 0x33333333
        v = (v | (v << 1)) & 0x55555555
        return v

    xi = ((x - x.min()) / max(np.ptp(x), 1) * 65535).astype(np.uint64)
    yi = ((y - y.min()) / max(np.ptp(y), 1) * 65535).astype(np.uint64)
    return spread(xi) | (spread(yi) << np.uint64(1))


def assign_wards(wards: gpd.GeoDataFrame, schools: pd.DataFrame, phase: str) -> pd.Series:
    """Each ward's planning area of ``phase``: contiguous Morton runs per authority, sized by places."""
    col, cap = f"{phase}_planning_area", f"capacity_{phase}"
    places = schools[schools[col].notna() & (schools[cap] > 0)].groupby(["council_code", col])[cap].sum()
    out = pd.Series(index=wards["wd15cd"].to_numpy(), dtype=object)
    cx, cy = wards.geometry.centroid.x.to_numpy(), wards.geometry.centroid.y.to_numpy()
    for council, idx in wards.groupby("council_code").indices.items():
        if council not in places.index.get_level_values(0):
            continue
        areas = places.loc[council].sort_index()
        order = idx[np.argsort(morton(cx[idx], cy[idx]), kind="stable")]
        share = np.cumsum(areas.to_numpy()) / areas.sum()
        cut = np.searchsorted(np.arange(1, len(order) + 1) / len(order), share, side="left")
        start = 0
        for code, end in zip(areas.index, np.minimum(cut + 1, len(order))):
            out.iloc[order[start:end]] = code
            start = max(start, end)
    return out


def schools_table(raw: Path, la: pd.DataFrame) -> pd.DataFrame:
    s = pd.read_csv(raw / "schools/scap2015_ud1_school_capacity_england.csv")
    s = s.merge(la[["la_number", "council_code"]], left_on="LA1", right_on="la_number", how="inner")
    pc = s["PrimaryCapacity (2)"].fillna(0.0)
    sc = s["SecondaryCapacity (2)"].fillna(0.0)
    split = s["Phase"].isin(["MS", "MP", "AT"])
    is_p, is_s = s["Phase"].eq("PS"), s["Phase"].eq("SS")
    pri_share = np.where(split, pc / (pc + sc).where(pc + sc > 0, 1), is_p.astype(float))
    roll = pd.to_numeric(s["MAYNOR"], errors="coerce").fillna(0.0)  # one school has no roll in SCAP
    sec = roll * (1 - pri_share)
    # England's sixth-form share of 11-18 rolls (SCAP secondary roll vs the scorecards' 11-16 roll).
    sixth = np.where(is_s | s["Phase"].eq("AT"), 0.135, 0.0)
    return pd.DataFrame({
        "urn": "LAESTAB" + s["LAEstab"].astype(str),
        "school": s["Schoolname"].astype(str),
        "council_code": s["council_code"],
        "phase": np.select([is_p, is_s, s["Phase"].isin(["MS", "MP"]), s["Phase"].eq("AT")],
                           ["primary", "secondary", "middle", "all_through"], "other"),
        "primary_planning_area": s["Primary PA code (2)"].map(lambda v: None if pd.isna(v) else str(int(v))),
        "secondary_planning_area": s["Secondary PA code (2)"].map(lambda v: None if pd.isna(v) else str(int(v))),
        "net_capacity": s["Netcapacity (1)"].astype(float),
        "capacity_primary": np.where(split, pc, np.where(is_p, s["Netcapacity (1)"], 0.0)).astype(float),
        "capacity_secondary": np.where(split, sc, np.where(is_s, s["Netcapacity (1)"], 0.0)).astype(float),
        "nor_primary": (roll * pri_share).round(3),
        "nor_secondary": (sec * (1 - sixth)).round(3),
        "nor_sixth_form": (sec * sixth).round(3),
    }).drop_duplicates("urn")


def synthetic_sites(wards: gpd.GeoDataFrame, n: int, seed: int, first_year: int) -> gpd.GeoDataFrame:
    """``n`` sites at random points inside real wards, in proportion to population; Pareto sizes."""
    rng = np.random.default_rng(seed)
    pop = wards[[f"pop_{a}" for a in range(19)]].sum(axis=1).to_numpy() + 1.0
    ward = rng.choice(len(wards), size=n, p=pop / pop.sum())
    geoms = wards.geometry.to_numpy()
    xs = np.empty(n)
    ys = np.empty(n)
    todo = np.arange(n)
    bounds = shapely.bounds(geoms)
    while len(todo):  # rejection sampling inside each site's ward, vectorised over sites
        b = bounds[ward[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geoms[ward[todo]], x, y)
        xs[todo[inside]], ys[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    dwellings = np.minimum(np.round(5 * (1 + rng.pareto(1.05, n))), 5000.0)
    status = rng.choice(["permissioned", "not_permissioned", "pending", "allocated"], size=n, p=[0.6, 0.2, 0.05, 0.15])
    first = first_year + rng.integers(1, 8, size=n)
    return gpd.GeoDataFrame({
        "site_id": [f"N{i:06d}" for i in range(n)],
        "site": [f"Synthetic site {i}" for i in range(n)],
        "council_code": wards["council_code"].to_numpy()[ward],
        "dwellings": dwellings,
        "status": status,
        "first_year": first.astype(int),
        "build_rate": np.array([default_build_rate(d) for d in dwellings]),
    }, geometry=gpd.points_from_xy(xs, ys, crs=BNG), crs=BNG)


def build(raw: Path, out: Path, n_sites: int, seed: int) -> dict:
    os.environ.setdefault("OGR_CURRENT_DATE", "2015-06-30T00:00:00Z")
    t0 = time.perf_counter()
    la, district_to_la = authorities(raw)
    wards = gpd.read_file(f"zip://{raw / 'boundaries/wards_dec2015_super_generalised_clipped_GB_shp.zip'}!wd15.shp",
                          engine="pyogrio")
    wards = wards[wards["wd15cd"].str.startswith("E")].to_crs(BNG)
    wards["council_code"] = wards["lad15cd"].map(district_to_la)
    wards = wards[wards["council_code"].isin(la["council_code"])]
    pop = pd.read_csv(raw / "population/ward_population_sya_mid2015_england_wales.csv", thousands=",")
    pop = pop.rename(columns={str(a): f"pop_{a}" for a in range(19)})[["WardCode"] + [f"pop_{a}" for a in range(19)]]
    wards = wards.merge(pop, left_on="wd15cd", right_on="WardCode", how="inner").sort_values("wd15cd").reset_index(drop=True)
    wards["geometry"] = wards.geometry.make_valid()
    schools = schools_table(raw, la)
    frames = []
    assigned = {}
    for phase in ("primary", "secondary"):
        a = assign_wards(wards, schools, phase)
        assigned[phase] = a
        w = wards.assign(planning_area_code=a.to_numpy())
        diss = w[w["planning_area_code"].notna()].dissolve(by="planning_area_code", aggfunc={"council_code": "first"})
        diss = diss.reset_index()
        codes = set(schools.loc[schools[f"capacity_{phase}"] > 0, f"{phase}_planning_area"].dropna())
        missing = sorted(codes - set(diss["planning_area_code"]))
        owner = schools.dropna(subset=[f"{phase}_planning_area"]).drop_duplicates(f"{phase}_planning_area").set_index(
            f"{phase}_planning_area")["council_code"]
        extra = gpd.GeoDataFrame({"planning_area_code": missing, "council_code": owner.reindex(missing).to_numpy()},
                                 geometry=[None] * len(missing), crs=BNG)
        both = pd.concat([diss[["planning_area_code", "council_code", "geometry"]], extra], ignore_index=True)
        both["planning_area"] = both["planning_area_code"] + " (synthetic polygon)"
        both["phase"] = phase
        frames.append(both)
    pa = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=BNG)
    known_pa = set(pa["planning_area_code"])
    for col in ("primary_planning_area", "secondary_planning_area"):
        schools.loc[~schools[col].isin(known_pa), col] = None
    councils = wards.dissolve(by="council_code").reset_index()[["council_code", "geometry"]].merge(la, on="council_code")
    zones = gpd.GeoDataFrame(wards[["wd15cd", "wd15nm", "council_code"] + [f"pop_{a}" for a in range(19)] + ["geometry"]]
                             .rename(columns={"wd15cd": "zone_code", "wd15nm": "zone"}), crs=BNG)
    for a in range(19):
        zones[f"pop_{a}"] = zones[f"pop_{a}"].astype(float)
    zones["primary_planning_area"] = assigned["primary"].to_numpy()
    zones["secondary_planning_area"] = assigned["secondary"].to_numpy()
    sites = synthetic_sites(wards, n_sites, seed, BASE_YEAR)
    # Costs: England 2024/25 x each council's regional factor where the scorecards know the council.
    sc = pd.read_csv(raw / "costs/dfe_scorecards_costs_and_2015_nor.csv")
    sc = sc[sc["Year"] == "2024/25"]
    e = sc[sc["geographic_level"] == "National"].iloc[0]
    factor = dict(zip(sc["LANumber"], (sc["CPP_P_EP"] / e["CPP_P_EP"]).round(4)))
    basic_need = dict(zip(sc["LANumber"], pd.to_numeric(sc["Funding"], errors="coerce")))
    rows, fund = [], []
    for r in la.itertuples():
        f = float(factor.get(r.la_number, 1.0))
        for phase, p in (("primary", "P"), ("secondary", "S")):
            for ptype, k in (("new_school", "NS"), ("expansion", "EP"), ("temporary", "ET")):
                rows.append((r.council_code, phase, ptype, float(e[f"CPP_{p}_{k}"]), f, "2024/25"))
        rows.append((r.council_code, "send", "expansion", 4 * float(e["CPP_P_EP"]), f, "2024/25"))
        bn = basic_need.get(r.la_number, np.nan)
        if np.isfinite(bn):
            fund += [(r.council_code, y, "basic_need", round(bn / 15, 2)) for y in range(BASE_YEAR, BASE_YEAR + 15)]
    costs = pd.DataFrame(rows, columns=["council_code", "phase", "project_type", "cost_per_place", "location_factor", "price_base"])
    funding = pd.DataFrame(fund, columns=["council_code", "academic_year", "source", "amount"])
    profile = pd.DataFrame([(ph, k, round(v, 6)) for ph, vals in PROFILE_SHAPE.items()
                            for k, v in enumerate(np.array(vals) / np.mean(vals))],
                           columns=["phase", "years_since_completion", "multiplier"])
    meta = pd.DataFrame(sorted({
        "region_name": f"England (national scale test: real schools and wards, synthetic planning-area polygons, "
                       f"{n_sites:,} synthetic sites, seed {seed})",
        "base_year": str(BASE_YEAR),
        "base_census": "School Capacity survey (SCAP) May 2015; population mid-2015",
        "sources": "DfE School Capacity 2015 (UD1); ONS mid-2015 ward population; ONS December 2015 ward boundaries; "
                   "ONS MYE2 mid-2014 (authority hierarchy); DfE LA school places scorecards; DfE pupil yield dashboard",
        "licence": "Open Government Licence v3.0",
        "attribution": "Contains public sector information licensed under the Open Government Licence v3.0. | "
                       "Contains National Statistics data (c) Crown copyright and database right. | "
                       "Contains OS data (c) Crown copyright and database right (boundaries, postcodes).",
        "limits": "Synthetic planning-area polygons and housing sites: for scale tests, not for planning.",
        "built_by": "data/build_national.py",
        "price_index": json.dumps({"2024/25": 1.0}),
    }.items()), columns=["key", "value"])
    tables = {
        "councils": gpd.GeoDataFrame(councils, geometry="geometry", crs=BNG),
        "planning_areas": pa[["planning_area_code", "planning_area", "council_code", "phase", "geometry"]],
        "schools": gpd.GeoDataFrame(schools, geometry=[None] * len(schools), crs=BNG),
        "zones": zones,
        "sites": sites,
        "yields": pd.DataFrame(YIELDS, columns=["phase", "dimension", "category", "pupils_per_dwelling", "source"]),
        "yield_profile": profile,
        "costs": costs,
        "funding": funding,
        "meta": meta,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    for name, frame in tables.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(tmp, layer=name, engine="pyogrio")
        else:
            pyogrio.write_dataframe(frame, tmp, layer=name)
    os.replace(tmp, out)
    print(f"wrote {out} ({out.stat().st_size / 1024**2:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    for name, frame in tables.items():
        print(f"  {name}: {len(frame):,} rows")
    return tables


def ensure(raw: Path | None = None, out: Path | None = None, n_sites: int = 50_000, seed: int = 1) -> Path:
    """The cached national bundle, built first if missing (benchmarks call this)."""
    out = out or default_out()
    if not out.exists():
        build(raw or ROOT.parent / "shared" / "data" / "raw", out, n_sites, seed)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--out", type=Path, default=default_out())
    ap.add_argument("--sites", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.raw.exists():
        print(f"raw data not found at {args.raw}; pass --raw", file=sys.stderr)
        return 2
    build(args.raw, args.out, args.sites, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
