"""The embedded demo region, checked against the raw open data it was built from."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import placeplan as pp
from placeplan.model import baseline as bl
from placeplan.model import funding as fund
from placeplan.model import geography as geo
from placeplan.model import population as pop
from placeplan.model.index import region_index

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "placeplan" / "data" / "demo_region.gpkg"
REPORT = pd.read_csv(ROOT / "data" / "demo_build_report.csv", dtype=str)
RAW = ROOT.parent / "shared" / "data" / "raw"
needs_raw = pytest.mark.skipif(not RAW.exists(), reason="../shared/data/raw is not beside the checkout")


def exceptions(layer: str) -> set[str]:
    return set(REPORT.loc[REPORT["layer"] == layer, "id"])


def test_counts(demo_region):
    assert demo_region.councils["council"].tolist() == ["Milton Keynes", "Bedford", "Central Bedfordshire", "Buckinghamshire"]
    assert len(demo_region.zones) == 175
    assert len(demo_region.schools) == 519
    schools = demo_region.schools
    pa = demo_region.planning_areas
    for phase in ("primary", "secondary"):
        codes = set(schools.loc[schools[f"capacity_{phase}"] > 0, f"{phase}_planning_area"])
        assert set(pa.loc[pa["phase"] == phase, "planning_area_code"]) == codes
    assert (pa["phase"] == "primary").sum() == 48 and (pa["phase"] == "secondary").sum() == 39
    assert len(demo_region.sites) == 291


@needs_raw
def test_every_register_row_is_a_site_or_listed():
    raw = pd.read_csv(RAW / "housing" / "brownfield_sites_region.csv")
    assert len(raw) == 326
    dropped = REPORT[(REPORT["layer"] == "sites") & ~REPORT["reason"].str.startswith("location")]
    assert len(raw) == 291 + dropped["id"].nunique()


@needs_raw
def test_every_school_from_scap_is_kept():
    raw = pd.read_csv(RAW / "schools" / "region_schools_scap2015_gias2017_geocoded.csv")
    b = pyogrio.read_dataframe(BUNDLE, layer="schools")
    assert sorted(b["laestab"].astype(str)) == sorted(raw["LAEstab"].astype(str))
    assert b["nor_total"].sum() == raw["MAYNOR"].sum()
    # Middle and all-through schools split pupils; nothing is lost or invented.
    total = b[["nor_primary", "nor_secondary", "nor_sixth_form"]].sum(axis=1)
    np.testing.assert_allclose(total, b["nor_total"], atol=0.01)


@pytest.mark.parametrize("layer, id_col", [("schools", "urn"), ("sites", "site_id")])
def test_inside_a_planning_area_of_own_council_or_listed(demo_region, layer, id_col):
    frame = getattr(demo_region, layer)
    located = frame[frame.geometry.notna()]
    pa = demo_region.planning_areas[demo_region.planning_areas.geometry.notna()]
    listed = exceptions(layer)
    for phase in ("primary", "secondary"):
        part = located if layer == "sites" else located[located[f"capacity_{phase}"] > 0]
        hit = gpd.sjoin(part[[id_col, "council_code", "geometry"]], pa.loc[pa["phase"] == phase, ["council_code", "geometry"]],
                        how="left", predicate="within", lsuffix="own", rsuffix="pa").drop_duplicates(id_col)
        bad = hit[hit["council_code_pa"].isna() | (hit["council_code_own"] != hit["council_code_pa"])]
        assert set(bad[id_col]) <= listed, f"unlisted {layer}: {sorted(set(bad[id_col]) - listed)[:5]}"
    # Unlocated schools are listed too.
    assert set(frame.loc[frame.geometry.isna(), id_col]) <= listed


def test_base_year_pupils_within_2_percent_of_scorecards(demo_region):
    a = demo_region.assumptions()
    idx = region_index(demo_region, a.horizon)
    base, rolls = bl.baseline(demo_region, idx, a)
    council = idx.councils.to_numpy()[idx.area_council]
    got = pd.DataFrame({"council_code": council, "primary": rolls[:, :7].sum(axis=1), "secondary": rolls[:, 7:12].sum(axis=1)})
    got = got.groupby("council_code").sum()
    card = pyogrio.read_dataframe(BUNDLE, layer="scorecard_nor15").set_index("council_code")
    assert set(card.index) == set(got.index)
    diff_pri = got["primary"] / card["PRI_NoR15"] - 1
    diff_sec = got["secondary"] / card["SEC_NoR15"] - 1
    assert (diff_pri.abs() < 0.02).all(), diff_pri
    assert (diff_sec.abs() < 0.02).all(), diff_sec
    # The calibrated participation ratios reproduce the base-year pupils on roll exactly.
    from placeplan.model.baseline import population_baseline
    from placeplan.model.constants import AGE_OFFSET, N_NCY

    zw = geo.zone_weights(demo_region, idx.areas)
    resident = pop.resident_children(demo_region, idx, a)[:, np.arange(N_NCY) + AGE_OFFSET, :]
    resident_area = geo.area_sum(zw, resident)
    same_year = population_baseline(rolls, resident_area[:, :, [0, 0]])[:, 0, :]
    np.testing.assert_allclose(same_year, rolls, rtol=1e-12, atol=1e-9)
    assert (resident_area[:, :, 0].sum(axis=1) > 0).sum() == len(idx.areas) - 1  # the UTC area has no residents


@needs_raw
def test_scorecard_figures_come_from_raw():
    raw = pd.read_csv(RAW / "costs" / "dfe_scorecards_costs_and_2015_nor.csv")
    raw = raw[(raw["Year"] == "2024/25") & raw["LA_name"].isin(["Milton Keynes", "Bedford", "Central Bedfordshire", "Buckinghamshire"])]
    card = pyogrio.read_dataframe(BUNDLE, layer="scorecard_nor15")
    assert sorted(pd.to_numeric(raw["PRI_NoR15"]).tolist()) == sorted(card["PRI_NoR15"].tolist())


def test_costs_are_scorecard_regional_costs(demo_region):
    a = demo_region.assumptions()
    idx = region_index(demo_region, a.horizon)
    costs = fund.cost_lookup(demo_region, idx.councils, a.price_base)
    mk = idx.councils.get_loc("E06000042")
    bed = idx.councils.get_loc("E06000055")
    # Scorecards 2024/25: Milton Keynes (South East) primary expansion £23,745.34; Bedford £20,803.44.
    assert costs[("primary", "expansion")][mk] == 23_745
    assert costs[("primary", "expansion")][bed] == 20_803
    assert costs[("secondary", "new_school")][mk] == 34_345


def test_provenance_and_attribution(demo_region):
    meta = demo_region.meta_dict
    assert meta["base_year"] == "2015"
    assert meta["licence"] == "Open Government Licence v3.0"
    for line in ("Open Government Licence v3.0", "National Statistics data", "OS data", "Royal Mail data"):
        assert line in meta["attribution"]
    res = pp.forecast(demo_region)
    prov = dict(zip(res.provenance["key"], res.provenance["value"]))
    assert prov["data.attribution"] == meta["attribution"]
    assert json.loads(prov["data.price_index"])["2024/25"] == 1.0


@needs_raw
def test_build_is_deterministic(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "demo.gpkg"
    subprocess.run([sys.executable, str(ROOT / "data" / "build_demo.py"), "--raw", str(RAW), "--out", str(out)],
                   check=True, capture_output=True)
    sys.path.insert(0, str(ROOT / "data"))
    from build_demo import table_digest

    assert table_digest(out) == table_digest(BUNDLE)
    assert (tmp_path / "demo_build_report.csv").read_text() == (ROOT / "data" / "demo_build_report.csv").read_text()


def test_data_folder_under_15_mb():
    total = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    assert total < 15 * 1024**2
