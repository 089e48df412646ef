"""The region: the frames of a region bundle and the assumptions a forecast uses."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

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


@dataclass(frozen=True)
class Assumptions:
    """Every setting a forecast depends on; recorded in each export's provenance.

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
    new_school_fe : float
        An area needing at least this many forms of entry gets a new school (new-school
        cost per place); fewer are expansions.
    price_base : str or None
        Price base of costs, e.g. ``"2024/25"``; ``None`` keeps the costs' own.
    basic_need_lead_years : int
        Years before a place is needed that its cost falls (a place must exist by the
        September it is needed).
    """

    horizon: int = 15
    headroom: float = 0.02
    baseline_method: str = "population"
    ratio_method: str = "mean"
    ratio_years: int = 3
    births: str = "held"
    migration_damping: float = 0.5
    netting: bool = False
    yield_basis: str = "bedrooms"
    yield_multipliers: dict = field(default_factory=dict)
    delay_years: int = 0
    build_rate_multiplier: float = 1.0
    contribution_threshold: int = 10
    new_school_fe: float = 1.0
    price_base: str | None = None
    cost_lead_years: int = 0

    def replace(self, **changes) -> Assumptions:
        """Return a copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


@dataclass(frozen=True)
class Region:
    """A region bundle in memory: one frame per layer, validated by :mod:`placeplan.io`.

    Geometry layers are GeoDataFrames in EPSG:27700.  Optional tables are empty frames
    with their columns when the bundle lacks them.  ``site_areas`` and ``zone_areas`` are
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
        """Assumptions stored in the bundle's ``meta`` (keys ``assumption.*``) plus overrides."""
        stored = {}
        fields = {f.name: f for f in dataclasses.fields(Assumptions)}
        for key, value in self.meta_dict.items():
            if key.startswith("assumption."):
                name = key.split(".", 1)[1]
                if name in fields:
                    stored[name] = json.loads(value)
        stored.update(overrides)
        return Assumptions(**stored)
