"""The national bundle: built from the raw data for all of England, loaded and forecast."""

import sys
from pathlib import Path

import pytest

import placeplan as pp

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT.parent / "shared" / "data" / "raw"
pytestmark = pytest.mark.skipif(not RAW.exists(), reason="../shared/data/raw is not beside the checkout")


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "data"))
    from build_national import build

    out = tmp_path_factory.mktemp("national") / "national.gpkg"
    build(RAW, out, n_sites=3000, seed=5)
    return pp.load_region(out)


def test_every_school_and_ward_of_england(national):
    assert len(national.councils) == 152  # education authorities
    assert len(national.schools) == 20_115  # SCAP 2015, every state school
    assert len(national.zones) > 7_000 and national.zones["zone_code"].str.startswith("E05").all()
    pa = national.planning_areas
    assert (pa["phase"] == "primary").sum() > 2_000
    named = national.zone_areas["method"].eq("named").mean()
    assert named > 0.99  # wards name their (ward-built) planning areas


def test_synthetic_pipeline_is_seeded_and_heavy_tailed(national):
    s = national.sites
    assert len(s) == 3000
    assert s["dwellings"].median() < 20 < s["dwellings"].mean()  # many small sites, a few very large
    assert (national.site_areas["method"] == "within").mean() > 0.99  # placed inside real wards


def test_national_forecast_runs(national):
    res = pp.forecast(national)
    assert res.shortfall["planning_area_code"].nunique() == len(national.planning_areas)
    assert res.funding_gap["council_code"].nunique() == 152
    assert (res.shortfall["places_needed"] >= 0).all()
