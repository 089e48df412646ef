"""Reading, validating and writing: clear messages naming file, layer, row and column."""

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Polygon

import placeplan as pp
from placeplan.io.bundle import region_from_frames, write_region
from placeplan.io.tables import export_tables, read_sites
from tests.conftest import tiny_frames


def problems_of(exc) -> list[str]:
    return [str(p) for p in exc.value.problems]


@pytest.fixture
def bundle(tmp_path, tiny_region):
    return write_region(tiny_region, tmp_path / "tiny.gpkg")


def test_roundtrip_bundle(bundle, tiny_region):
    back = pp.load_region(bundle)
    assert back.sites["site_id"].tolist() == ["S1"]
    a = pp.forecast(tiny_region).shortfall
    b = pp.forecast(back).shortfall
    np.testing.assert_allclose(a["pupils_forecast"], b["pupils_forecast"])


def test_missing_layer_is_named(tmp_path, tiny_region):
    path = tmp_path / "x.gpkg"
    for name in ("councils", "planning_areas", "schools", "sites", "yields", "costs", "meta"):
        frame = getattr(tiny_region, name)
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(path, layer=name, engine="pyogrio")
        else:
            pyogrio.write_dataframe(frame, path, layer=name)
    with pytest.raises(pp.ValidationError) as exc:
        pp.load_region(path)
    assert problems_of(exc) == [f"{path}, layer yield_profile: required layer is missing"]


def test_misspelt_column_and_text_in_number():
    frames = tiny_frames()
    frames["sites"] = frames["sites"].rename(columns={"dwellings": "dwelings"})
    frames["schools"]["nor_primary"] = frames["schools"]["nor_primary"].astype(object)
    frames["schools"].loc[1, "nor_primary"] = "three hundred"
    with pytest.raises(pp.ValidationError) as exc:
        region_from_frames(frames, source="f.gpkg")
    msgs = problems_of(exc)
    assert "f.gpkg, layer sites, column dwellings: required column is missing (found 'dwelings': misspelt?)" in msgs
    assert "f.gpkg, layer schools, row 2, column nor_primary: 'three hundred' is not a number" in msgs


def test_negative_dwellings_duplicate_ids_unknown_council():
    frames = tiny_frames()
    sites = frames["sites"]
    frames["sites"] = gpd.GeoDataFrame(pd.concat([sites, sites], ignore_index=True), crs=27700)
    frames["sites"].loc[1, "dwellings"] = -5.0
    frames["sites"].loc[1, "council_code"] = "Z"
    with pytest.raises(pp.ValidationError) as exc:
        region_from_frames(frames, source="f")
    msgs = problems_of(exc)
    assert "f, layer sites, row 2, column dwellings: -5 is below the minimum 0" in msgs
    assert "f, layer sites, row 2, column site_id: duplicate 'S1': must be unique" in msgs
    assert "f, layer sites, row 2, column council_code: 'Z' is not a council_code in layer councils" in msgs


def test_wrong_crs_and_invalid_geometry():
    frames = tiny_frames()
    frames["sites"] = frames["sites"].to_crs(4326)
    bowtie = Polygon([(400000, 200000), (401000, 201000), (401000, 200000), (400000, 201000)])
    frames["planning_areas"].loc[0, "geometry"] = bowtie
    with pytest.raises(pp.ValidationError) as exc:
        region_from_frames(frames, source="f")
    msgs = problems_of(exc)
    assert any("layer sites, column geometry: coordinates are in EPSG:4326; expected EPSG:27700" in m for m in msgs)
    assert any("layer planning_areas, row 1, column geometry: invalid geometry (Self-intersection" in m for m in msgs)


def test_trajectory_above_dwellings_and_years_before_base():
    traj = pd.DataFrame([{"site_id": "S1", "academic_year": "2016/17", "dwellings": 150.0},
                         {"site_id": "S1", "academic_year": "2017/18", "dwellings": 100.0}])
    frames = tiny_frames(trajectories=traj)
    frames["sites"].loc[0, "first_year"] = 2001
    with pytest.raises(pp.ValidationError) as exc:
        region_from_frames(frames, source="f")
    msgs = problems_of(exc)
    assert "f, layer trajectories, column dwellings: site S1: trajectory adds up to 250, more than its 200 dwellings" in msgs
    assert "f, layer sites, row 1, column first_year: year 2001 is before the base year 2015" in msgs


def test_not_a_geopackage_and_empty_file(tmp_path):
    fake = tmp_path / "fake.gpkg"
    fake.write_text("site_id,dwellings\n")
    with pytest.raises(pp.ValidationError) as exc:
        pp.load_region(fake)
    assert "not a GeoPackage" in problems_of(exc)[0]
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(pp.ValidationError) as exc:
        pp.load_region(empty)
    assert problems_of(exc) == [f"{empty}: the file is empty"]


def test_write_region_is_atomic(tmp_path, tiny_region, monkeypatch):
    path = write_region(tiny_region, tmp_path / "r.gpkg")
    before = path.read_bytes()
    import placeplan.io.bundle as b

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(b.pyogrio, "write_dataframe", boom)
    with pytest.raises(OSError):
        write_region(tiny_region, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.gpkg"]


def test_sites_csv_with_lonlat_and_trajectory(tmp_path):
    csv = tmp_path / "sites.csv"
    csv.write_text(
        "site_id,site,council_code,dwellings,status,first_year,build_rate,longitude,latitude,2019/20,2020/21\n"
        "X1,Somewhere,A,100,allocated,2019,0,-0.75,52.0,60,40\n",
        encoding="utf-8",
    )
    sites, traj = read_sites(csv)
    assert sites.crs.to_epsg() == 27700
    assert 480_000 < sites.geometry.x.iloc[0] < 490_000
    assert traj.to_dict("records") == [
        {"site_id": "X1", "academic_year": 2019, "dwellings": 60.0},
        {"site_id": "X1", "academic_year": 2020, "dwellings": 40.0},
    ]


def test_sites_csv_problems_use_spreadsheet_rows(tmp_path):
    csv = tmp_path / "sites.csv"
    csv.write_text(
        "site_id,site,council_code,dwellings,status,first_year,build_rate,easting,northing\n"
        "X1,Ok,A,100,allocated,2019,50,400500,200500\n"
        "X2,Bad,A,lots,built,2019,50,-0.7,52.0\n",
        encoding="utf-8",
    )
    with pytest.raises(pp.ValidationError) as exc:
        read_sites(csv)
    msgs = problems_of(exc)
    assert f"{csv}, layer sites, row 3, column dwellings: 'lots' is not a number" in msgs
    assert any("row 3, column status: 'built' is not one of" in m for m in msgs)
    assert any("row 3, column easting" in m for m in msgs)


def test_non_utf8_and_wrong_extension(tmp_path):
    bad = tmp_path / "latin.csv"
    bad.write_bytes("site_id,site\nX1,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(pp.ValidationError) as exc:
        read_sites(bad)
    assert "line 2 is not UTF-8 text" in problems_of(exc)[0]
    xl = tmp_path / "sites.xlsx"
    xl.write_text("not a workbook")
    with pytest.raises(pp.ValidationError) as exc:
        read_sites(xl)
    assert "not an XLSX workbook" in problems_of(exc)[0]


def test_exports_neutralise_formulas(tmp_path):
    frame = pd.DataFrame({"site": ["=HYPERLINK(\"x\")", "+1", "ok", "-2", "@SUM(A1)"], "n": [1, 2, 3, 4, 5]})
    export_tables({"t": frame}, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text
    export_tables({"t": frame}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    assert [c.value for c in ws["A"]][1:] == ["'=HYPERLINK(\"x\")", "'+1", "ok", "'-2", "'@SUM(A1)"]
    assert all(c.data_type != "f" for c in ws["A"])


def test_export_results_sheets_and_provenance(tmp_path, tiny_region):
    res = pp.forecast(tiny_region)
    pp.export_results(res, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert {"shortfall", "funding_gap", "contributions", "sites", "provenance"} <= set(wb.sheetnames)
    prov = pd.read_excel(tmp_path / "r.xlsx", sheet_name="provenance")
    kv = dict(zip(prov["key"], prov["value"]))
    assert kv["placeplan_version"] == pp.__version__
    assert json.loads(kv["assumption.headroom"]) == 0.02
    assert kv["data.base_year"] == 2015 or kv["data.base_year"] == "2015"
    sf = pd.read_excel(tmp_path / "r.xlsx", sheet_name="shortfall")
    assert sf.columns[:11].tolist() == [
        "council_code", "council", "planning_area_code", "planning_area", "phase", "academic_year",
        "pupils_forecast", "baseline_pupils", "housing_pupils", "capacity", "headroom_places",
    ]
    pp.export_results(res, tmp_path / "r.csv")
    assert (tmp_path / "r.provenance.csv").exists()
