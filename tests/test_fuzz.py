"""Fuzzing (hypothesis): any input to a loader either loads or raises placeplan's own
ValidationError — never anything else."""

import json
import string
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placeplan as pp
from placeplan.io.bundle import region_from_frames, write_region
from placeplan.io.scenario_file import import_scenario, scenario_from_dict
from placeplan.io.tables import read_actuals, read_sites, sites_from_table
from placeplan.model.scenario import apply_scenario
from tests.conftest import tiny_frames

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
COLUMNS = ["site_id", "site", "council_code", "dwellings", "status", "first_year", "build_rate", "easting", "northing",
           "longitude", "latitude", "share_houses", "affordable_share", "share_1bed", "2019/20", "2020/21", "notes"]
cell = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-10**7, 10**7), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["permissioned", "A", "B", "E06000042", "2019/20", "nan", "=1+1", "", " ", "\u200b", "1e309"]),
)


def loads_or_validation_error(fn, *args):
    try:
        fn(*args)
    except pp.ValidationError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


def write(suffix: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / f"f{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=12, unique=True), st.data())
def test_sites_tables(columns, data):
    n = data.draw(st.integers(0, 4))
    frame = pd.DataFrame({c: [data.draw(cell) for _ in range(n)] for c in columns}, dtype=object)
    loads_or_validation_error(sites_from_table, frame, "fuzz.csv")


@FUZZ
@given(st.binary(max_size=400))
def test_csv_bytes(raw):
    loads_or_validation_error(read_sites, write(".csv", raw))


@FUZZ
@given(st.text(alphabet=string.printable + "é£\u200b", max_size=400))
def test_csv_text(text):
    loads_or_validation_error(read_sites, write(".csv", text.encode("utf-8")))
    loads_or_validation_error(read_actuals, write(".csv", text.encode("utf-8")))


@FUZZ
@given(st.binary(max_size=300))
def test_gpkg_and_xlsx_bytes(raw):
    loads_or_validation_error(pp.load_region, write(".gpkg", b"SQLite format 3\x00" + raw))
    loads_or_validation_error(pp.load_region, write(".gpkg", raw))
    loads_or_validation_error(read_sites, write(".xlsx", b"PK\x03\x04" + raw))


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
scenario_key = st.sampled_from(["name", "description", "add_sites", "remove_sites", "edit_sites", "assumptions", "costs",
                                "capacity_changes", "funding", "background_rates", "other"])


@FUZZ
@given(st.dictionaries(scenario_key, json_value, max_size=6))
def test_scenario_documents(doc):
    """A document enters through the io reader, which checks its rows with the bundle's schema
    (Scenario.from_dict alone lets e.g. ``{"costs": [{}]}`` through to a KeyError in apply_scenario)."""
    import json

    from placeplan.io.scenario_file import import_scenario

    try:
        scenario = import_scenario(json.dumps(doc), "fuzz.json", region=TINY)
    except pp.ValidationError:
        return
    loads_or_validation_error(apply_scenario, TINY, scenario)


site_change = st.fixed_dictionaries({}, optional={
    "dwellings": st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e5), st.text(max_size=3)),
    "first_year": st.integers(1900, 2200), "build_rate": st.floats(0, 1e4), "delay_years": st.integers(-5, 20),
    "status": st.sampled_from(["permissioned", "allocated", "nonsense"]), "share_houses": st.floats(0, 1),
})
new_site = st.fixed_dictionaries(
    {"site_id": st.text(min_size=1, max_size=5), "council_code": st.sampled_from(["A", "B", "Z"]),
     "dwellings": st.one_of(st.floats(0, 5000), st.integers(-5, 5000))},
    optional={"easting": st.floats(-1e6, 2e6), "northing": st.floats(-1e6, 2e6),
              "planning_area_code": st.sampled_from(["PA1", "SB1", "NOPE"]), "first_year": st.integers(2000, 2040)},
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["S1", "S2"]), site_change, max_size=2), st.lists(new_site, max_size=2),
       st.lists(st.sampled_from(["S1", "X"]), max_size=2),
       st.fixed_dictionaries({}, optional={"headroom": st.floats(0, 0.5), "delay_years": st.integers(-3, 10),
                                           "yield_multipliers": st.dictionaries(st.sampled_from(["primary", "secondary"]),
                                                                                st.floats(0, 3), max_size=2)}))
def test_structured_scenarios_forecast_or_refuse(edits, adds, removes, assumptions):
    doc = {"name": "fuzz", "edit_sites": edits, "add_sites": adds, "remove_sites": removes, "assumptions": assumptions}
    try:
        scenario = scenario_from_dict(json.loads(json.dumps(doc)))
        result = pp.forecast(TINY, scenario)
    except pp.ValidationError:
        return
    sf = result.shortfall
    assert np.isfinite(sf["pupils_forecast"]).all() and (sf["places_needed"] >= 0).all()


@FUZZ
@given(st.binary(max_size=200))
def test_scenario_files(raw):
    loads_or_validation_error(import_scenario, raw)
    loads_or_validation_error(pp.load_scenario, write(".json", raw))


LAYER_COLUMNS = {name: list(frame.columns) for name, frame in tiny_frames().items()}


@settings(FUZZ, max_examples=30)
@given(st.sampled_from(sorted(k for k in LAYER_COLUMNS if k != "meta")), st.data())
def test_region_frames_with_a_bad_cell(layer, data):
    frames = tiny_frames()
    frame = frames[layer].copy()
    cols = [c for c in frame.columns if c != "geometry"]
    col = data.draw(st.sampled_from(cols))
    row = data.draw(st.integers(0, len(frame) - 1))
    frame[col] = frame[col].astype(object)
    frame.iloc[row, frame.columns.get_loc(col)] = data.draw(cell)
    frames[layer] = frame
    try:
        region = region_from_frames(frames, source="fuzz")
    except pp.ValidationError:
        return
    pp.forecast(region)


@pytest.fixture(scope="module", autouse=True)
def tiny():
    global TINY
    TINY = region_from_frames(tiny_frames(), source="tiny")
    return TINY


def test_bundle_roundtrip_then_truncated(tmp_path):
    path = write_region(TINY, tmp_path / "t.gpkg")
    data = path.read_bytes()
    for cut in (100, 1000, 5000, len(data) // 2, len(data) - 10):
        loads_or_validation_error(pp.load_region, write(".gpkg", data[:cut]))
