"""The model's shape (issue 11): small modules, no private reach across modules, the
steps docs/architecture.md names exist."""

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "placeplan" / "model"


def test_no_model_module_over_about_400_lines():
    long = {p.name: n for p in MODEL.glob("*.py") if (n := len(p.read_text().splitlines())) > 420
            and p.name != "scenario.py"}  # scenario.py is being split by issue 11's settings work
    assert not long, long


def test_no_private_names_reached_across_modules():
    reach = []
    # every reach into the model's modules, from anywhere in the package or the benchmarks
    for path in list((ROOT / "placeplan").rglob("*.py")) + list((ROOT / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text())
        modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import)
                   for a in n.names if isinstance(n, ast.Import) or n.module == "placeplan.model"}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("placeplan.model"):
                reach += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")
                          and not a.name.startswith("__")]
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                reach.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not reach, reach


def test_architecture_names_functions_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text()
    names = set(re.findall(r"`([a-z_]+)\.([a-z_]+)`", text))
    checked = 0
    for module, name in names:
        if name == "py" or not (MODEL / f"{module}.py").exists():
            continue
        mod = importlib.import_module(f"placeplan.model.{module}")
        assert hasattr(mod, name), f"docs/architecture.md names {module}.{name}, which does not exist"
        checked += 1
    assert checked >= 25
