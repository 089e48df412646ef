"""The region: the frames of a region bundle and the assumptions a forecast uses."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.model.settings import SETTINGS, check_settings
from placeplan.model.util import cached_on

#: Layers with geometry, and tables without, in a region bundle.
SPATIAL_LAYERS: tuple[str, ...] = ("councils", "planning_areas", "schools", "zones", "sites")
TABLES: tuple[str, ...] = (
    "yields",
    "yield_profile",
    "costs",
    "capacity_changes",
    "flows",
    "funding",
    "meta",
    "trajectories",
    "roll_history",
    "births",
    "cohort_change",
    "background_rates",
    "postcodes",
)
REQUIRED_LAYERS: tuple[str, ...] = (
    "councils",
    "planning_areas",
    "schools",
    "sites",
    "yields",
    "yield_profile",
    "costs",
    "meta",
)


_D = SETTINGS  # defaults below come from the one table of settings


@dataclass(frozen=True)
class Assumptions:
    """Every setting a forecast depends on; recorded in each export's provenance.

    Each value is checked when the object is built against the one table of settings,
    :data:`placeplan.model.settings.SETTINGS` (type, allowed values, range); the defaults
    come from that table too.  See docs/method.md's table of settings.

    Parameters
    ----------
    horizon : int
        Forecast years after the base academic year.
    headroom : float
        Operating margin of spare places kept in each planning area, as a share of the
        forecast (DfE Basic Need uses 0.02).
    baseline_method : {"population", "cohort_survival", "none"}
        Population-based (resident children x participation) or grade progression from
        ``roll_history``.
    ratio_method : {"mean", "weighted", "geometric", "median", "last"}
        How past survival ratios are averaged (cohort survival).
    ratio_years : int
        How many past ratios are averaged.
    births : {"held", "trend"}
        Births after the base year: held at the base-year age-0 population or trended
        with the council's births series.
    migration_damping : float
        Cohort change ratios are used as ``1 + damping * (ratio - 1)``; 0 is ageing only.
    netting : bool
        Add only completions above each council's background rate.
    yield_basis : {"all", "type", "tenure", "bedrooms"}
        Which published split of pupil yield adjusts a site's yield to its mix.
    yield_multipliers : dict
        Phase -> multiplier on yields.
    delay_years : int
        Years every site's first completion slips.
    build_rate_multiplier : float
        Multiplier on every site's annual build rate.
    contribution_threshold : int
        Sites with fewer dwellings pay no contribution (DfE: 10).
    temporary_max_years, expansion_max_fe_primary, expansion_max_fe_secondary,
    new_school_min_fe_primary, new_school_min_fe_secondary : int, float
        The project that fits the need (:func:`placeplan.model.projects.choose_projects`).
    charge_early_years, charge_send : bool
        Whether the councils' policy seeks contributions for these places.
    price_base : str or None
        Price base of costs, e.g. ``"2024/25"``; ``None`` keeps the costs' own.
    cost_lead_years : int
        Years before a place is needed that its cost falls (a place must exist by the
        September it is needed).

    Raises
    ------
    ValidationError
        Naming each setting whose value is not allowed, what was given and what is allowed.

    Examples
    --------
    >>> Assumptions(headroom=0.05).headroom
    0.05
    >>> Assumptions(headroom=-0.5)
    Traceback (most recent call last):
    ...
    placeplan.errors.ValidationError: 1 problem found:
    (input), layer assumptions, column headroom: value -0.5 is not allowed: at least 0 and at most 0.5 (share of the forecast)
    """

    horizon: int = _D["horizon"].default
    headroom: float = _D["headroom"].default
    baseline_method: str = _D["baseline_method"].default
    ratio_method: str = _D["ratio_method"].default
    ratio_years: int = _D["ratio_years"].default
    births: str = _D["births"].default
    migration_damping: float = _D["migration_damping"].default
    netting: bool = _D["netting"].default
    yield_basis: str = _D["yield_basis"].default
    yield_multipliers: dict = field(default_factory=dict)
    delay_years: int = _D["delay_years"].default
    build_rate_multiplier: float = _D["build_rate_multiplier"].default
    contribution_threshold: int = _D["contribution_threshold"].default
    temporary_max_years: int = _D["temporary_max_years"].default
    expansion_max_fe_primary: float = _D["expansion_max_fe_primary"].default
    expansion_max_fe_secondary: float = _D["expansion_max_fe_secondary"].default
    new_school_min_fe_primary: float = _D["new_school_min_fe_primary"].default
    new_school_min_fe_secondary: float = _D["new_school_min_fe_secondary"].default
    charge_early_years: bool = _D["charge_early_years"].default
    charge_send: bool = _D["charge_send"].default
    price_base: str | None = _D["price_base"].default
    cost_lead_years: int = _D["cost_lead_years"].default

    def __post_init__(self) -> None:
        for name in SETTINGS:
            value = getattr(self, name)
            if isinstance(value, np.generic):  # a numpy scalar from a widget or a frame: plain Python
                object.__setattr__(self, name, value.item())
        problems = check_settings({name: getattr(self, name) for name in SETTINGS})
        if problems:
            raise ValidationError(problems)

    def replace(self, **changes) -> Assumptions:
        """Return a copy with ``changes`` applied (checked as at construction)."""
        problems = check_settings(changes)
        if problems:
            raise ValidationError(problems)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


@dataclass(frozen=True)
class Region:
    """A region bundle in memory: one frame per layer, validated by :mod:`placeplan.io`.

    Geometry layers are GeoDataFrames in EPSG:27700.  Optional tables are empty frames
    with their columns when the bundle lacks them (``postcodes``, the lookup a site can be
    placed by, too: :func:`placeplan.model.geography.postcode_location`).  ``site_areas`` and ``zone_areas`` are
    derived: the share of each site's dwellings and of each zone's children in each
    planning area (see :func:`placeplan.model.geography.place`).
    """

    councils: gpd.GeoDataFrame
    planning_areas: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    yields: pd.DataFrame
    yield_profile: pd.DataFrame
    costs: pd.DataFrame
    capacity_changes: pd.DataFrame
    flows: pd.DataFrame
    funding: pd.DataFrame
    meta: pd.DataFrame
    trajectories: pd.DataFrame
    roll_history: pd.DataFrame
    births: pd.DataFrame
    cohort_change: pd.DataFrame
    background_rates: pd.DataFrame
    postcodes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["postcode", "easting", "northing"]))
    site_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    zone_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = ""

    def replace(self, **changes) -> Region:
        """Return a copy with some frames replaced."""
        return dataclasses.replace(self, **changes)

    @property
    def meta_dict(self) -> dict[str, str]:
        if self.meta.empty:
            return {}
        # read on every forecast and scenario: kept per meta frame (a copy is returned)
        return dict(cached_on((self.meta,), ("meta_dict",),
                              lambda: dict(zip(self.meta["key"].astype(str), self.meta["value"].astype(str)))))

    @property
    def base_year(self) -> int:
        """Data vintage: census of May ``base_year``, population at mid-``base_year``."""
        return int(self.meta_dict.get("base_year", "2015"))

    @property
    def base_academic_year(self) -> int:
        """Start year of the academic year of the base census (May 2015 -> 2014)."""
        return self.base_year - 1

    def assumptions(self, **overrides) -> Assumptions:
        """Assumptions stored in the bundle's ``meta`` (keys ``assumption.*``) plus overrides.

        Raises
        ------
        ValidationError
            Naming a stored value (layer ``meta``, key ``assumption.<name>``) or an override
            that is unknown or not allowed.
        """
        stored = {}
        problems = []
        for key, value in self.meta_dict.items():
            if key.startswith("assumption."):
                name = key.split(".", 1)[1]
                if name in SETTINGS:
                    try:
                        stored[name] = json.loads(value)
                    except ValueError:
                        problems.append(Problem(self.source, "meta", None, key, f"{value!r} is not a JSON value"))
        problems += check_settings(stored, self.source, "meta", "assumption.")
        problems += check_settings(overrides)
        if problems:
            raise ValidationError(problems)
        stored.update(overrides)
        return Assumptions(**stored)
