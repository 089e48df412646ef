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


def run_cli(capsys, *args) -> tuple[int, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def check(text: str, case: dict) -> None:
    for fragment in case["expect"]:
        assert fragment in text, f"{case['file']}: expected {fragment!r} in:\n{text[:2000]}"
    assert "Traceback" not in text and "internal error" not in text


def test_corpus_is_large_enough_and_current():
    assert len(CASES) >= 30
    kinds = {c["kind"] for c in CASES}
    assert {"sites", "region", "scenario", "actuals"} <= kinds
    exts = {Path(c["file"]).suffix for c in CASES}
    assert {".csv", ".xlsx", ".gpkg", ".json"} <= exts
    assert sorted(p.name for p in (HERE / "files").iterdir()) == sorted(c["file"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_validate(case, capsys):
    path = str(HERE / "files" / case["file"])
    if case["kind"] == "actuals":
        code, text = run_cli(capsys, "backtest", "--actuals", path, "--draws", "10")
    else:
        code, text = run_cli(capsys, "validate", path)
    check(text, case)
    assert code == (0 if case["file"] in WARNING_ONLY else 1)


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] != "actuals"], ids=lambda c: c["file"])
def test_forecast(case, capsys, tmp_path):
    path = str(HERE / "files" / case["file"])
    flag = {"sites": "--sites", "region": "--region", "scenario": "--scenario"}[case["kind"]]
    code, text = run_cli(capsys, "forecast", flag, path, "--out", str(tmp_path / "out.xlsx"))
    check(text, case)
    assert code == (0 if case["file"] in WARNING_ONLY else 1)
    assert (tmp_path / "out.xlsx").exists() == (code == 0)  # nothing half-written on failure


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] != "actuals"], ids=lambda c: c["file"])
def test_app_upload(case):
    data = (HERE / "files" / case["file"]).read_bytes()
    up = check_upload(case["file"], data, pp.load_region(), kind=case["kind"])
    text = "\n".join([str(p) for p in up.problems] + up.warnings)
    check(text, case)
    assert bool(up.problems) == (case["file"] not in WARNING_ONLY)
    if up.problems:
        assert all(p.file == case["file"] for p in up.problems), "the app names the uploaded file"


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
