"""placeplan: school place planning across councils.

Housing sites to pupils, pupils to shortfall against capacity, shortfall to the funding gap.

>>> import placeplan as pp
>>> region = pp.load_region()                         # the embedded demo region
>>> results = pp.forecast(region)
>>> results.shortfall.columns[:6].tolist()
['council_code', 'council', 'planning_area_code', 'planning_area', 'phase', 'academic_year']
"""

from __future__ import annotations

__version__ = "0.1.0"

from placeplan.errors import PlaceplanError, Problem, ValidationError
from placeplan.io.bundle import demo_region_path, read_region, write_region
from placeplan.io.tables import export_results, read_sites, with_sites
from placeplan.model.forecast import Results
from placeplan.model.forecast import forecast as _forecast
from placeplan.model.region import Assumptions, Region
from placeplan.model.scenario import (
    Scenario,
    ShortfallEffect,
    apply_scenario,
    compare,
    scenario_changes,
    shortfall_effect,
)

load_region = read_region


def forecast(region: Region, scenario: Scenario | None = None, assumptions: Assumptions | None = None) -> Results:
    """Forecast a region, optionally under a scenario.

    Parameters
    ----------
    region : Region
        From :func:`load_region`.
    scenario : Scenario, optional
        Changes applied with :func:`apply_scenario` first.
    assumptions : Assumptions, optional
        Overrides the region's (and scenario's) assumptions entirely.
    """
    name = "base"
    if scenario is not None:
        region, scen_assumptions = apply_scenario(region, scenario)
        assumptions = assumptions or scen_assumptions
        name = f"{scenario.name} ({scenario.digest()})"
    return _forecast(region, assumptions, scenario_name=name)


def load_scenario(path) -> Scenario:
    """Read a scenario JSON file."""
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise ValidationError([Problem(str(p), "scenario", None, None, "file not found")])
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError([Problem(str(p), "scenario", None, None, "not UTF-8 text")]) from None
    return Scenario.from_json(text, str(p))


__all__ = [
    "Assumptions",
    "PlaceplanError",
    "Problem",
    "Region",
    "Results",
    "Scenario",
    "ShortfallEffect",
    "ValidationError",
    "apply_scenario",
    "compare",
    "demo_region_path",
    "export_results",
    "forecast",
    "load_region",
    "load_scenario",
    "read_region",
    "read_sites",
    "scenario_changes",
    "shortfall_effect",
    "with_sites",
    "write_region",
]
