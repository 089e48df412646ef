"""The scenario document: read, checked and written in one place.

A scenario file is JSON (:class:`~placeplan.model.scenario.Scenario`). Reading it is
bounded before any parsing: at most :data:`MAX_SCENARIO_BYTES` bytes and
:data:`MAX_JSON_DEPTH` levels of nesting; a key repeated in one object, ``NaN`` and
``Infinity`` are refused. Its shape and ``assumptions`` are checked by
:meth:`Scenario.from_dict <placeplan.model.scenario.Scenario.from_dict>` (against the one
table of settings); the values of site edits, new sites and rows are checked here with
the region bundle's own schema (:mod:`placeplan.io.schema`), exactly as a sites file's.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.io.schema import LAYERS, Column
from placeplan.io.validate import coerce_column
from placeplan.model.scenario import Scenario
from placeplan.model.settings import setting

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_SCENARIO_BYTES",
    "check_scenario",
    "export_scenario",
    "import_scenario",
    "load_json",
    "read_scenario",
    "scenario_from_dict",
    "scenario_from_json",
    "write_scenario",
]

#: Largest scenario document read (bytes). A scenario of 5,000 new sites is about 1.5 MB.
MAX_SCENARIO_BYTES = 5_000_000
#: Deepest nesting of objects and lists read (a scenario needs 4).
MAX_JSON_DEPTH = 32

LAYER = "scenario"
#: Scenario lists of rows and the bundle layer whose schema checks them.
#: Columns a scenario row may leave out because applying it fills them in.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def _delay_column() -> Column:
    s = setting("delay_years")
    return Column("delay_years", "int", s.help, min=s.min, max=s.max)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def json_depth(data: bytes) -> int:
    """Deepest nesting of objects and lists in JSON text (text in strings not counted).

    One pass over the bytes with numpy, so any document is measured without recursion.
    """
    code = np.frombuffer(_STRING.sub(b"", data), dtype=np.uint8)
    step = np.isin(code, (ord("{"), ord("["))).astype(np.int64) - np.isin(code, (ord("}"), ord("]")))
    return int(np.cumsum(step).max()) if len(step) else 0


def load_json(data: str | bytes, file: str = "", layer: str = LAYER) -> object:
    """Parse JSON within bounds: size, nesting depth, no repeated keys, no NaN/Infinity.

    Raises
    ------
    ValidationError
        Saying which bound was exceeded or where the JSON is malformed.
    """

    def refuse(message: str) -> ValidationError:
        return ValidationError([Problem(file, layer, None, None, message)])

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_SCENARIO_BYTES:
        raise refuse(f"the file is {len(raw) / 1e6:.1f} MB; a scenario may be at most {MAX_SCENARIO_BYTES / 1e6:g} MB")
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise refuse(f"objects and lists are nested {depth} deep; a scenario may nest at most {MAX_JSON_DEPTH}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise refuse(f"key {exc.args[0]!r} appears twice in one object; give each key once") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so is a 5,000-digit number
        raise refuse(f"not valid JSON: {exc}") from None


def _scalar_problem(value: object, col: Column) -> str | None:
    if isinstance(value, (dict, list)):
        return f"must be {'a number' if col.kind in ('int', 'float') else 'text'}, not {'an object' if isinstance(value, dict) else 'a list'}"
    if isinstance(value, bool) and col.kind in ("int", "float", "year"):
        return f"{json.dumps(value)} is not a number"
    if value is None:
        return "value is missing"
    return None


def _check_values(values: list[object], col: Column, file: str) -> list[tuple[int | None, str]]:
    """(position, message) for each value not allowed in ``col`` (a column of a bundle layer)."""
    found = [(i, msg) for i, v in enumerate(values) if (msg := _scalar_problem(v, col))]
    skip = {i for i, _ in found}
    rest = [(i, v) for i, v in enumerate(values) if i not in skip]
    if rest:
        frame = pd.DataFrame({col.name: pd.Series([v for _, v in rest], dtype=object)})
        strict = dataclasses.replace(col, nullable=False, unique=False, required=True)
        _, problems = coerce_column(frame, strict, LAYER, file, 0)
        found += [(rest[p.row][0] if p.row is not None else None, p.message) for p in problems]
    return found


def check_scenario(scenario: Scenario, file: str = "") -> list[Problem]:
    """Problems with a scenario's values, checked with the region bundle's schema.

    Site edits (``edit_sites``) and new sites (``add_sites``) are checked as a sites file
    is (:data:`placeplan.io.schema.LAYERS` ``["sites"]``: types, ranges, finite numbers,
    allowed statuses; a new site's coordinates as the layer's geometry); ``trajectories``
    (years and completions) with the ``trajectories`` layer's columns; ``costs``,
    ``capacity_changes`` and ``funding`` rows with their layers; ``delay_years`` with the
    setting's own range. Checks needing the region (known sites, councils, planning
    areas) are :func:`~placeplan.model.scenario.apply_scenario`'s.

    The answer is remembered per content (the app re-forecasts one scenario on every
    lever edit; its site edits are checked once).
    """
    parts = (scenario.edit_sites, scenario.add_sites, scenario.costs, scenario.capacity_changes, scenario.funding,
             scenario.trajectories)
    if not any(parts):
        return []
    try:
        key = json.dumps(parts, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):  # not JSON (e.g. an object made in Python): check without remembering
        return _check_scenario(scenario, file)
    return list(_check_remembered(key, file, scenario))


def _check_remembered(key: str, file: str, scenario: Scenario) -> tuple[Problem, ...]:
    hit = _CHECKED.get((key, file))
    if hit is None:
        hit = tuple(_check_scenario(scenario, file))
        if len(_CHECKED) >= 256:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[(key, file)] = hit
    return hit


_CHECKED: dict[tuple[str, str], tuple[Problem, ...]] = {}


def _check_scenario(scenario: Scenario, file: str) -> list[Problem]:
    problems: list[Problem] = []
    sites = {c.name: c for c in LAYERS["sites"].columns}
    columns = {**sites, "delay_years": _delay_column()}
    by_field: dict[str, list[tuple[str, object]]] = {}
    for sid, change in scenario.edit_sites.items():
        for k, v in change.items():
            if k in columns:
                by_field.setdefault(k, []).append((sid, v))
    for k, items in by_field.items():
        for pos, msg in _check_values([v for _, v in items], columns[k], file):
            where = f"edit_sites.{items[pos][0]}.{k}" if pos is not None else f"edit_sites.*.{k}"
            problems.append(Problem(file, LAYER, None, where, msg))
    # trajectories: their years and completions as the bundle's trajectories layer's
    traj = {c.name: c for c in LAYERS["trajectories"].columns}
    items = [(sid, y, n) for sid, years in scenario.trajectories.items() for y, n in years.items()]
    for col, values in (("academic_year", [y for _, y, _ in items]), ("dwellings", [n for _, _, n in items])):
        for pos, msg in _check_values(values, traj[col], file):
            where = f"trajectories.{items[pos][0]}.{items[pos][1]}" if pos is not None else "trajectories"
            problems.append(Problem(file, LAYER, None, where, msg))
    # new sites, capacity, cost and funding rows: the bundle's own layer check, once
    from placeplan.io.scenario_rows import check_scenario_rows

    return problems + check_scenario_rows(scenario, file)


def scenario_from_dict(doc: object, file: str = "") -> Scenario:
    """A checked :class:`~placeplan.model.scenario.Scenario` from its JSON document.

    An exported file's ``saved`` record (who saved it, when) is set aside.

    Raises
    ------
    ValidationError
        Naming the key, row and field that is wrong.
    """
    if isinstance(doc, dict) and "saved" in doc:
        doc = {k: v for k, v in doc.items() if k != "saved"}
    scenario = Scenario.from_dict(doc, file)
    problems = check_scenario(scenario, file)
    if problems:
        raise ValidationError(problems)
    return scenario


def scenario_from_json(data: str | bytes, file: str = "") -> Scenario:
    """A checked scenario from JSON text, read within the bounds of :func:`load_json`."""
    return scenario_from_dict(load_json(data, file), file)


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file (the file's size is checked before it is read)."""
    p = Path(path)
    if not p.is_file():
        raise ValidationError([Problem(str(p), LAYER, None, None, "file not found")])
    size = p.stat().st_size
    if size > MAX_SCENARIO_BYTES:
        raise ValidationError([Problem(str(p), LAYER, None, None,
                                       f"the file is {size / 1e6:.1f} MB; a scenario may be at most "
                                       f"{MAX_SCENARIO_BYTES / 1e6:g} MB")])
    return scenario_from_json(p.read_bytes(), str(p))


def export_scenario(scenario: Scenario, meta: dict | None = None) -> str:
    """A scenario as a JSON file a user can keep or send (with who/when, if known)."""
    doc = scenario.to_dict()
    if meta:
        doc["saved"] = meta
    return json.dumps(doc, indent=2, sort_keys=True)


def import_scenario(text: str | bytes, file: str = "uploaded scenario", region=None) -> Scenario:
    """Read an exported scenario file, checked against ``region`` when given
    (:func:`placeplan.io.scenario_rows.check_against_region`); ValidationError naming the
    problem otherwise."""
    scenario = scenario_from_json(text, file)
    if region is not None:
        from placeplan.io.scenario_rows import check_against_region

        problems = check_against_region(region, scenario, file)
        if problems:
            raise ValidationError(problems)
    return scenario


def write_scenario(scenario: Scenario, path: str | Path, meta: dict | None = None) -> Path:
    """Write a scenario file (:func:`export_scenario`'s text); returns the path."""
    p = Path(path)
    p.write_text(export_scenario(scenario, meta) + "\n", encoding="utf-8")
    return p
