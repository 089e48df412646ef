"""The three layers import one way: the model never imports Streamlit or reads files."""

import ast
import pathlib
import subprocess
import sys

PKG = pathlib.Path(__file__).resolve().parent.parent / "placeplan"
FILE_READERS = {"read_file", "read_csv", "read_excel", "read_dataframe", "open", "read_text", "read_bytes", "to_file"}


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module)
    return mods


def test_model_never_imports_streamlit_io_or_app():
    for path in (PKG / "model").glob("*.py"):
        mods = imported_modules(path)
        bad = {m for m in mods if m.split(".")[0] == "streamlit" or m.startswith(("placeplan.io", "placeplan.app"))}
        assert not bad, f"{path.name} imports {bad}"


def test_model_reads_no_files():
    for path in (PKG / "model").glob("*.py"):
        tree = ast.parse(path.read_text())
        calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                 for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert not (calls & FILE_READERS), f"{path.name} calls {calls & FILE_READERS}"


def test_io_never_imports_the_app():
    for path in (PKG / "io").glob("*.py"):
        assert not any(m.split(".")[0] == "streamlit" or m.startswith("placeplan.app") for m in imported_modules(path))


def test_importing_the_library_does_not_load_streamlit():
    code = "import sys, placeplan; placeplan.forecast(placeplan.load_region()); print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ruff_is_clean():
    root = PKG.parent
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "placeplan", "tests", "data", "benchmarks"],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
