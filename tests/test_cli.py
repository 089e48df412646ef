"""The command line, run as a user runs it."""

import json
import os
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "placeplan", *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def demo_xlsx(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "demo.xlsx"
    r = run("forecast", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def test_forecast_demo_prints_summary_and_writes_xlsx(demo_xlsx):
    out, stdout = demo_xlsx
    assert "Base year 2015" in stdout and "funding gap £m" in stdout and "Open Government Licence v3.0" in stdout
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[:5] == ["shortfall", "funding_gap", "contributions", "sites", "provenance"] or \
        {"shortfall", "funding_gap", "contributions", "sites", "provenance"} <= set(wb.sheetnames)
    fg = pd.read_excel(out, sheet_name="funding_gap")
    assert fg.columns.tolist()[:9] == ["council_code", "council", "academic_year", "places_needed", "cost",
                                       "contributions", "basic_need", "other_funding", "funding_gap"]
    assert sorted(fg["council"].unique()) == ["Bedford", "Buckinghamshire", "Central Bedfordshire", "Milton Keynes"]


def test_forecast_csv_and_scenario(tmp_path):
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps({"name": "bigger", "add_sites": [
        {"site_id": "NEW1", "council_code": "E06000042", "dwellings": 3000, "easting": 485000, "northing": 238000,
         "first_year": 2016, "build_rate": 300}]}))
    out = tmp_path / "s.csv"
    r = run("forecast", "--scenario", str(scen), "--out", str(out))
    assert r.returncode == 0, r.stderr
    sf = pd.read_csv(out)
    assert sf["housing_pupils"].sum() > 0
    prov = pd.read_csv(tmp_path / "s.provenance.csv")
    assert prov.loc[prov["key"] == "scenario", "value"].iloc[0].startswith("bigger (")


def test_validate_exit_codes(tmp_path):
    ok = run("validate", "placeplan/data/demo_region.gpkg")
    assert ok.returncode == 0 and "valid region bundle" in ok.stdout
    bad = tmp_path / "bad.gpkg"
    bad.write_text("hello")
    r = run("validate", str(bad))
    assert r.returncode == 1
    assert "not a GeoPackage" in r.stderr and "Traceback" not in r.stderr
    missing = run("validate", str(tmp_path / "nope.gpkg"))
    assert missing.returncode == 1 and "file not found" in missing.stderr and "Traceback" not in missing.stderr


def test_bad_scenario_gives_message_not_traceback(tmp_path):
    scen = tmp_path / "s.json"
    scen.write_text('{"remove_sites": ["NOPE"]}')
    r = run("forecast", "--scenario", str(scen))
    assert r.returncode == 1
    assert "remove_sites" in r.stderr and "NOPE" in r.stderr and "Traceback" not in r.stderr


def test_template_files_validate(tmp_path):
    r = run("template", str(tmp_path / "t"))
    assert r.returncode == 0
    for name in ("sites.csv", "sites.xlsx"):
        v = run("validate", str(tmp_path / "t" / name))
        assert v.returncode == 0, v.stderr


@pytest.mark.skipif(os.name != "posix", reason="the app becomes the server process on POSIX")
def test_app_stops_when_told_and_leaves_no_server_behind(tmp_path):
    import signal
    import socket
    import urllib.request

    from tests.conftest import app_is_up

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**ENV, "PLACEPLAN_STORE": str(tmp_path / "s.sqlite")}
    proc = subprocess.Popen([sys.executable, "-m", "placeplan", "app", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        if not app_is_up(url):
            pytest.fail("the app did not start")
        # a service manager stops the process it started; the server must be that process
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past closed connections, not a listener
        s.bind(("127.0.0.1", port))  # nothing listens on the port any more


@pytest.mark.parametrize("args, words", [
    (["--headroom", "-0.5"], "command line --headroom: value -0.5 is not allowed: at least 0 and at most 0.5"),
    (["--horizon", "0"], "command line --horizon: value 0 is not allowed"),
    (["--yield-multiplier", "tertiary=2"], "unknown phase 'tertiary'"),
])
def test_bad_setting_flag_is_refused_with_a_message(args, words):
    r = run("forecast", *args)
    assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr


def test_setting_flags_apply_on_top_of_the_scenario(tmp_path):
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps({"name": "late", "assumptions": {"delay_years": 3, "headroom": 0.05}}))
    r = run("forecast", "--scenario", str(scen), "--headroom", "0.04", "--no-netting", "--out", str(tmp_path / "o.csv"))
    assert r.returncode == 0, r.stderr
    prov = pd.read_csv(tmp_path / "o.provenance.csv").set_index("key")["value"]
    assert json.loads(prov["assumption.delay_years"]) == 3 and json.loads(prov["assumption.headroom"]) == 0.04


@pytest.mark.parametrize("body, words", [
    ("[" * 50_000 + "]" * 50_000, "nested 50000 deep"),
    ('{"name": "a", "name": "b"}', "key 'name' appears twice"),
    ('{"edit_sites": {"CB:CB/17/05977/BRWN": {"share_houses": 5}}}', "share_houses: 5 is above the maximum 1"),
    ('{"edit_sites": {"CB:CB/17/05977/BRWN": {"delay_years": 1e30}}}', "delay_years: 1e+30 is above the maximum 50"),
])
def test_bad_scenario_documents_are_refused_not_crashed(tmp_path, body, words):
    scen = tmp_path / "s.json"
    scen.write_text(body)
    for command in (["forecast", "--scenario"], ["validate"]):
        r = run(*command, str(scen))
        assert r.returncode == 1, r.stderr
        assert words in r.stderr and "internal error" not in r.stderr and "Traceback" not in r.stderr
