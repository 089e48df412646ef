"""A scenario as a file a user keeps or sends (JSON): written with who saved it, read back
with every row checked (:mod:`placeplan.io.scenario_rows`)."""

from __future__ import annotations

import json

from placeplan.errors import Problem, ValidationError
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario

__all__ = ["MAX_SCENARIO_BYTES", "export_scenario", "import_scenario"]


def export_scenario(scenario: Scenario, meta: dict | None = None) -> str:
    """A scenario as a JSON file a user can keep or send (with who/when, if known)."""
    doc = scenario.to_dict()
    if meta:
        doc["saved"] = meta
    return json.dumps(doc, indent=2, sort_keys=True)


#: the largest scenario file accepted (a scenario with thousands of rows is well under 1 MB)
MAX_SCENARIO_BYTES = 5 * 1024**2


def import_scenario(text: str | bytes, file: str = "uploaded scenario", region: Region | None = None) -> Scenario:
    """Read an exported scenario file and check every row with the bundle's schema
    (:func:`placeplan.io.scenario_rows.check_scenario`; against ``region`` when given:
    known councils and planning areas, base year, site location).

    Raises
    ------
    ValidationError
        Naming the file, list, row and key of each problem.
    """
    from placeplan.io.scenario_rows import check_scenario, check_scenario_rows

    if len(text) > MAX_SCENARIO_BYTES:
        raise ValidationError([Problem(file, "scenario", None, None, f"the file is {len(text) / 1024**2:.0f} MB; "
                                                                     f"the limit is {MAX_SCENARIO_BYTES // 1024**2} MB")])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError([Problem(file, "scenario", None, None, "not UTF-8 text")]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(file, "scenario", None, None, f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise ValidationError([Problem(file, "scenario", None, None, "JSON nested too deeply")]) from None
    if isinstance(doc, dict):
        doc.pop("saved", None)
    scenario = Scenario.from_dict(doc, file)
    problems = check_scenario(region, scenario, file) if region is not None else check_scenario_rows(scenario, file)
    if problems:
        raise ValidationError(problems)
    return scenario
