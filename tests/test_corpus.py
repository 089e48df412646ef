"""Every malformed input in tests/corpus gives a clear message naming file, layer, row and
column — in `placeplan validate`, in `placeplan forecast` (or `backtest`) and in the app's
upload check — and never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import placeplan as pp
from placeplan import cli
from placeplan.app.edits import check_upload

HERE = Path(__file__).resolve().parent / "corpus"
CASES = json.loads((HERE / "cases.json").read_text())
WARNING_ONLY = {"outside_every_area.csv"}
_DEMO = {}


@pytest.fixture(autouse=True)
def cached_demo(monkeypatch):
    """The demo region is read once for the whole corpus (each CLI call would re-read it)."""
    real = pp.load_region

    def load(path=None):
        if path is None:
            if "r" not in _DEMO:
                _DEMO["r"] = real()
            return _DEMO["r"]
        return real(path)

    monkeypatch.setattr(pp, "load_region", load)


def params(path: str, cases: list[dict]) -> list:
    """Cases as parameters; a path not yet wired to the check (``not_wired``, see
    make_corpus.NOT_WIRED) is a strict xfail, so wiring it makes the test say so."""
    # forecast runs are not repeated for them (each is a whole forecast); validate's strict xfail says when wired
    mark = pytest.mark.xfail(strict=True, run=path != "forecast",
                             reason=f"{path} not yet wired to placeplan.io.scenario_rows (issue #15)")
    return [pytest.param(c, id=c["file"], marks=[mark] if path in c.get("not_wired", ()) else []) for c in cases]


def run_cli(capsys, *args) -> tuple[int, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def check(text: str, case: dict) -> None:
    for fragment in case["expect"]:
        assert fragment in text, f"{case['file']}: expected {fragment!r} in:\n{text[:2000]}"
    assert "Traceback" not in text and "internal error" not in text


def test_corpus_is_large_enough_and_current():
    assert len(CASES) >= 80
    kinds = {c["kind"] for c in CASES}
    assert {"sites", "region", "scenario", "actuals"} <= kinds
    exts = {Path(c["file"]).suffix for c in CASES}
    assert {".csv", ".xlsx", ".gpkg", ".json"} <= exts
    assert sorted(p.name for p in (HERE / "files").iterdir()) == sorted(c["file"] for c in CASES)


@pytest.mark.parametrize("case", params("validate", CASES))
def test_validate(case, capsys):
    path = str(HERE / "files" / case["file"])
    if case["kind"] == "actuals":
        code, text = run_cli(capsys, "backtest", "--actuals", path, "--draws", "10")
    else:
        code, text = run_cli(capsys, "validate", path)
    check(text, case)
    assert code == (0 if case["file"] in WARNING_ONLY else 1)


@pytest.mark.parametrize("case", params("forecast", [c for c in CASES if c["kind"] != "actuals"]))
def test_forecast(case, capsys, tmp_path):
    path = str(HERE / "files" / case["file"])
    flag = {"sites": "--sites", "region": "--region", "scenario": "--scenario"}[case["kind"]]
    code, text = run_cli(capsys, "forecast", flag, path, "--out", str(tmp_path / "out.xlsx"))
    check(text, case)
    assert code == (0 if case["file"] in WARNING_ONLY else 1)
    assert (tmp_path / "out.xlsx").exists() == (code == 0)  # nothing half-written on failure


def upload(reader, case) -> None:
    data = (HERE / "files" / case["file"]).read_bytes()
    up = reader(case["file"], data, pp.load_region(), kind=case["kind"])
    text = "\n".join([str(p) for p in up.problems] + up.warnings)
    check(text, case)
    assert bool(up.problems) == (case["file"] not in WARNING_ONLY)
    if up.problems:
        assert all(p.file == case["file"] for p in up.problems), "the app names the uploaded file"


@pytest.mark.parametrize("case", params("upload", [c for c in CASES if c["kind"] != "actuals"]))
def test_app_upload(case):
    upload(check_upload, case)


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] != "actuals"], ids=lambda c: c["file"])
def test_library_upload(case, tmp_path, monkeypatch):
    """The library's upload entry point (placeplan.io.upload.check_upload, for the app to call):
    every case refused with its message, and no temporary file left behind."""
    import tempfile

    from placeplan.io.upload import check_upload as library_check

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    upload(library_check, case)
    assert list(tmp_path.iterdir()) == []


#: the scenario cases whose rows (new sites, capacity, costs, funding) the bundle's layer check refuses
ROW_CASES = [c for c in CASES if c["file"].startswith("scenario_")
             and c["file"] not in ("scenario_not_json.json", "scenario_bad_value.json", "scenario_unknown_site.json")]


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c["file"])
def test_scenario_rows_in_the_library(case, tmp_path):
    """Every scenario-row case is refused by the library entry points the app and CLI are to call:
    import_scenario with the region, and the store's save."""
    from placeplan.io.scenario_file import import_scenario
    from placeplan.io.store import ScenarioStore

    data = (HERE / "files" / case["file"]).read_bytes()
    with pytest.raises(pp.ValidationError) as exc:
        import_scenario(data, case["file"], region=pp.load_region())
    check(str(exc.value), case)
    store = ScenarioStore(tmp_path / "s.sqlite", create=True, base=pp.load_region())
    with pytest.raises(pp.ValidationError) as exc:  # the store refuses to keep what forecast could not run
        store.save(pp.Scenario.from_dict(json.loads(data), case["file"]), "alice")
    assert case["expect"][0] in str(exc.value)


def test_bounded_time_for_hostile_files():
    """The recursive-view GeoPackage and the XLSX zip bomb are refused in well under 10 s."""
    import time

    for name in ("recursive_view.gpkg", "xlsx_bomb.xlsx"):
        t = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "placeplan", "validate", str(HERE / "files" / name)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 1 and time.monotonic() - t < 10, (name, out.stderr)


def test_huge_files_are_refused(tmp_path, capsys):
    big = tmp_path / "huge.csv"
    with open(big, "wb") as fh:
        fh.write(b"site_id,site\n")
        fh.seek(60 * 1024**2)
        fh.write(b"x\n")
    code, text = run_cli(capsys, "validate", str(big))
    assert code == 1 and "the file is 60 MB; the limit is 50 MB" in text
    up = check_upload("huge.csv", big.read_bytes(), pp.load_region())
    assert "the limit is 50 MB" in str(up.problems[0])


def test_real_subprocess_never_shows_a_traceback():
    for name in ("corrupt.gpkg", "non_utf8.csv", "scenario_not_json.json"):
        out = subprocess.run([sys.executable, "-m", "placeplan", "validate", str(HERE / "files" / name)],
                             capture_output=True, text=True)
        assert out.returncode == 1 and "Traceback" not in out.stderr and out.stderr.strip()


def test_committed_corpus_is_what_the_generator_makes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(tmp_path) == CASES
    for case in CASES:
        if Path(case["file"]).suffix in (".csv", ".json", ".ods"):  # text files: byte for byte
            assert (tmp_path / case["file"]).read_bytes() == (HERE / "files" / case["file"]).read_bytes(), case["file"]
