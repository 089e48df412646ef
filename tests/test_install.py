"""Installable anywhere: the wheel carries the embedded demo region (package data), so an
installed (not editable) placeplan forecasts and validates with no checkout beside it."""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # pip's ordinary build (isolated: it fetches setuptools>=68 from the package index)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    (whl,) = out.glob("placeplan-*.whl")
    return whl


def test_wheel_installs_with_the_demo_region_and_runs(wheel, tmp_path):
    import zipfile

    assert "placeplan/data/demo_region.gpkg" in zipfile.ZipFile(wheel).namelist()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # reuse the installed dependencies (and pip) without their .pth files: the editable
    # placeplan of the development venv stays out of sight
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLACEPLAN_DEMO_REGION")}
    run = lambda *a, **kw: subprocess.run([*a], capture_output=True, text=True, cwd=tmp_path, env=env,  # noqa: E731
                                         timeout=300, **kw)
    done = run(str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel))
    assert done.returncode == 0, done.stderr[-2000:]
    where = run(str(py), "-c", "import placeplan; print(placeplan.__file__); print(placeplan.demo_region_path())")
    module, demo = where.stdout.split()
    assert module.startswith(str(env_dir)) and demo.startswith(str(env_dir)), where.stdout
    exe = str(env_dir / "bin" / "placeplan")
    valid = run(exe, "validate", demo)
    assert valid.returncode == 0 and "valid region bundle (4 councils" in valid.stdout, valid.stderr
    fc = run(exe, "forecast", "--out", "out.xlsx")
    assert fc.returncode == 0, fc.stderr[-2000:]
    assert (tmp_path / "out.xlsx").stat().st_size > 10_000
