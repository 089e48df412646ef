"""The docs say what the code does: generated reference up to date, examples run."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_data_format_reference_is_current():
    sys.path.insert(0, str(ROOT / "scripts"))
    from gen_docs import render

    text = (ROOT / "docs" / "data-format.md").read_text()
    assert render(text) == text, "run scripts/gen_docs.py"


def test_readme_scenario_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    doc = re.search(r"<<'JSON'\n(.*?)\nJSON", readme, re.S).group(1)
    path = tmp_path / "henlow.json"
    path.write_text(doc)
    json.loads(doc)
    out = subprocess.run([sys.executable, "-m", "placeplan", "forecast", "--scenario", str(path), "--out", str(tmp_path / "h.xlsx")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "h.xlsx").exists()


def test_api_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "api.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    code = "\n".join(line for line in code.splitlines() if "load_scenario" not in line and "read_sites" not in line
                     and "with_sites" not in line)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/api.md", "exec"), {})
    assert (tmp_path / "option_b.xlsx").exists()


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text()
    assert "./scripts/app.sh" in readme and "./scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci
