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
from placeplan.io.scenario_file import (
    check_scenario,
    export_scenario,
    import_scenario,
    read_scenario,
    write_scenario,
)
from placeplan.io.store import ScenarioStore, StaleScenarioError
from placeplan.io.tables import export_results, read_sites, with_sites
from placeplan.model.backtest import Backtest, backtest
from placeplan.model.comparison import ShortfallEffect, compare, scenario_changes, shortfall_effect
from placeplan.model.forecast import Results
from placeplan.model.forecast import forecast as _forecast
from placeplan.model.region import Assumptions, Region
from placeplan.model.scenario import Scenario
from placeplan.model.scenario import apply_scenario as _apply_scenario
from placeplan.model.settings import SETTINGS, Setting, setting
from placeplan.model.uncertainty import Ranges, Uncertainty, monte_carlo

load_region = read_region


def explain(region: Region, what: str, key: str, year=None, scenario: Scenario | None = None, **overrides):
    """Show the calculation of a figure: the parts it is made of, which add up to it.

    Parameters
    ----------
    region : Region
    what : {"area", "site", "council"}
        ``"area"``: places needed in planning area ``key`` (code or name) in ``year``;
        ``"site"``: the contribution sought from site ``key`` (id or name);
        ``"council"``: the funding gap of council ``key`` (code or name), over all years
        or in ``year``.
    scenario, **overrides
        As for :func:`forecast`.

    Returns
    -------
    Explanation
        ``parts`` (step, item, value) adding up to ``total``; ``value`` is the figure.

    Examples
    --------
    >>> import placeplan as pp
    >>> e = pp.explain(pp.load_region(), "council", "Bedford")
    >>> abs(e.parts["value"].sum() - e.value) < 1e-3
    True
    """
    from placeplan.model import explain as _explain
    from placeplan.model.forecast import forecast_arrays
    from placeplan.model.results import results as _results

    if what not in ("area", "site", "council"):
        raise ValueError(f"explain what={what!r}: choose 'area', 'site' or 'council'")
    if scenario is not None:
        region, assumptions = apply_scenario(region, scenario)
    else:
        assumptions = region.assumptions()
    if overrides:
        assumptions = assumptions.replace(**overrides)
    arrays = forecast_arrays(region, assumptions)
    if what == "area":
        if year is None:
            raise ValueError("explain 'area' needs a year, e.g. 2027 or '2027/28'")
        return _explain.explain_area(region, assumptions, arrays, key, year)
    res = _results(region, assumptions, arrays, "explain", [])
    if what == "site":
        return _explain.explain_site(res, key)
    return _explain.explain_council(res, key, year)
load_scenario = read_scenario


def apply_scenario(region: Region, scenario: Scenario) -> tuple[Region, Assumptions]:
    """Check a scenario's values (:func:`check_scenario`) and apply it to a region.

    Returns
    -------
    (Region, Assumptions)
        The changed region and the region's assumptions with the scenario's on top.

    Raises
    ------
    ValidationError
        Naming each site edit, new site, row or setting that is not allowed, or a site,
        council or planning area the region lacks.
    """
    from placeplan.io.scenario_rows import check_against_region

    problems = check_scenario(scenario) or check_against_region(region, scenario)
    if problems:
        raise ValidationError(problems)
    return _apply_scenario(region, scenario)


def forecast(region: Region, scenario: Scenario | None = None, **overrides) -> Results:
    """Forecast a region, optionally under a scenario, with settings changed.

    Parameters
    ----------
    region : Region
        From :func:`load_region`.
    scenario : Scenario, optional
        Changes applied with :func:`apply_scenario` first; its ``assumptions`` are kept.
    **overrides
        Settings (fields of :class:`Assumptions`, see :data:`SETTINGS`) applied on top of
        the region's and the scenario's, e.g. ``headroom=0.05``. Checked like every setting.
        For compatibility, ``assumptions=Assumptions(...)`` replaces the region's and the
        scenario's assumptions entirely (other overrides still apply on top).

    Raises
    ------
    ValidationError
        A setting or a scenario value that is not allowed, named with what is allowed.

    Examples
    --------
    >>> import placeplan as pp
    >>> region = pp.load_region()
    >>> pp.forecast(region, headroom=0.05).provenance.set_index("key").loc["assumption.headroom", "value"]
    '0.05'
    """
    given = overrides.pop("assumptions", None)
    name = "base"
    if scenario is not None:
        region, assumptions = apply_scenario(region, scenario)
        name = scenario.label()
    else:
        assumptions = None
    if given is not None:
        if not isinstance(given, Assumptions):
            raise ValidationError([Problem("", "assumptions", None, "assumptions", "must be an Assumptions object")])
        assumptions = given
    if overrides:
        assumptions = (assumptions or region.assumptions()).replace(**overrides)
    return _forecast(region, assumptions, scenario_name=name)


__all__ = [
    "SETTINGS",
    "Assumptions",
    "Backtest",
    "PlaceplanError",
    "Problem",
    "Ranges",
    "Region",
    "Results",
    "Scenario",
    "ScenarioStore",
    "Setting",
    "ShortfallEffect",
    "StaleScenarioError",
    "Uncertainty",
    "ValidationError",
    "apply_scenario",
    "backtest",
    "check_scenario",
    "compare",
    "demo_region_path",
    "export_results",
    "explain",
    "export_scenario",
    "forecast",
    "import_scenario",
    "load_region",
    "load_scenario",
    "monte_carlo",
    "read_region",
    "read_scenario",
    "read_sites",
    "scenario_changes",
    "setting",
    "shortfall_effect",
    "with_sites",
    "write_region",
    "write_scenario",
]
