"""The region bundle's layers and columns: one definition drives validation and the docs."""

from __future__ import annotations

from dataclasses import dataclass

from placeplan.model.constants import MAX_AGE, MAX_SITE_DISTANCE_M, PHASES  # noqa: F401  (re-exported)
from placeplan.model.scenario import STATUSES  # noqa: F401  (re-exported for the io layer)

PROJECT_TYPES = ("expansion", "new_school", "temporary", "removal")
SCHOOL_PHASES = ("primary", "secondary", "middle", "all_through", "special", "other")
#: plausibility bounds (a typo or a hostile value beyond these would swamp every total)
MAX_PLACES = 10_000  # one capacity change: ten 1,000-place schools
MAX_COST_PER_PLACE = 250_000.0  # pounds; DfE scorecards are about £20k-£40k a place
MAX_AMOUNT = 10_000_000_000.0  # pounds of funding in one row
#: the British National Grid's extent (EPSG:27700), metres
MAX_EASTING, MAX_NORTHING = 700_000, 1_300_000


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # str, int, float, year, bool
    description: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    unique: bool = False
    ref: str | None = None  # "layer.column"


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    columns: tuple[Column, ...]
    geometry: tuple[str, ...] = ()  # allowed geometry types; () for a table
    required: bool = True
    geometry_nullable: bool = False


def _pop_columns() -> tuple[Column, ...]:
    return tuple(
        Column(f"pop_{a}", "float", f"residents aged {a} at the base mid-year", min=0)
        for a in range(MAX_AGE + 1)
    )


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "councils",
            "One row per council (local authority).",
            (
                Column("council_code", "str", "ONS code, e.g. E06000042", unique=True),
                Column("council", "str", "name"),
                Column("la_number", "int", "DfE LA number, e.g. 826", required=False, nullable=True),
            ),
            geometry=("Polygon", "MultiPolygon"),
        ),
        Layer(
            "planning_areas",
            "School planning areas, one row each; primary and secondary areas are separate rows with their own codes.",
            (
                Column("planning_area_code", "str", "DfE planning-area code (unique across phases)", unique=True),
                Column("planning_area", "str", "name"),
                Column("council_code", "str", "council the area belongs to", ref="councils.council_code"),
                Column("phase", "str", "primary or secondary", choices=("primary", "secondary")),
            ),
            geometry=("Polygon", "MultiPolygon"),
            geometry_nullable=True,
        ),
        Layer(
            "schools",
            "State-funded schools with their base-year capacity and pupils on roll. A middle or all-through "
            "school is in a primary and a secondary planning area and splits its places and pupils.",
            (
                Column("urn", "str", "URN or LAESTAB", unique=True),
                Column("school", "str", "name"),
                Column("council_code", "str", "maintaining council", ref="councils.council_code"),
                Column("phase", "str", "school phase", choices=SCHOOL_PHASES),
                Column("primary_planning_area", "str", "primary planning area (R-Y6 places)", nullable=True,
                       ref="planning_areas.planning_area_code"),
                Column("secondary_planning_area", "str", "secondary planning area (Y7-Y13 places)", nullable=True,
                       ref="planning_areas.planning_area_code"),
                Column("net_capacity", "float", "DfE net capacity", min=0, nullable=True),
                Column("capacity_primary", "float", "places for R-Y6", min=0),
                Column("capacity_secondary", "float", "places for Y7-Y13 (incl. sixth form)", min=0),
                Column("nor_primary", "float", "pupils on roll R-Y6 (base census)", min=0),
                Column("nor_secondary", "float", "pupils on roll Y7-Y11", min=0),
                Column("nor_sixth_form", "float", "pupils on roll Y12-Y13", min=0),
            ),
            geometry=("Point",),
            geometry_nullable=True,
        ),
        Layer(
            "zones",
            "Small areas (wards in the demo) with residents by single year of age 0-18 at the base mid-year.",
            (
                Column("zone_code", "str", "e.g. ward code", unique=True),
                Column("zone", "str", "name"),
                Column("council_code", "str", "council", ref="councils.council_code"),
            )
            + _pop_columns(),
            geometry=("Polygon", "MultiPolygon"),
            required=False,
        ),
        Layer(
            "sites",
            "Housing developments. Give first_year and build_rate, or an explicit trajectory in the "
            "trajectories table.",
            (
                Column("site_id", "str", "unique reference", unique=True),
                Column("site", "str", "name or address"),
                Column("council_code", "str", "council where the site is", ref="councils.council_code"),
                Column("dwellings", "float", "net new dwellings", min=0, max=100_000),
                Column("status", "str", "planning status", choices=STATUSES),
                Column("first_year", "int", "academic year (start year, e.g. 2019 for 2019/20) of first completions",
                       min=1900, max=2200),
                Column("build_rate", "float", "dwellings completed a year (0: all in one year)", min=0, max=100_000),
                Column("share_houses", "float", "share of houses (rest flats), 0-1", required=False, nullable=True,
                       min=0, max=1),
                Column("affordable_share", "float", "share of affordable homes, 0-1", required=False, nullable=True,
                       min=0, max=1),
                Column("share_1bed", "float", "share of 1-bedroom homes", required=False, nullable=True, min=0, max=1),
                Column("share_2bed", "float", "share of 2-bedroom homes", required=False, nullable=True, min=0, max=1),
                Column("share_3bed", "float", "share of 3-bedroom homes", required=False, nullable=True, min=0, max=1),
                Column("share_4bed", "float", "share of homes with 4+ bedrooms", required=False, nullable=True,
                       min=0, max=1),
                Column("notes", "str", "free text (source caveats)", required=False, nullable=True),
            ),
            geometry=("Point", "Polygon", "MultiPolygon"),
        ),
        Layer(
            "yields",
            "Pupils per dwelling by phase; dimension all/type/tenure/bedrooms with its category.",
            (
                Column("phase", "str", "phase", choices=PHASES),
                Column("dimension", "str", "all, type, tenure or bedrooms", choices=("all", "type", "tenure", "bedrooms")),
                Column("category", "str", "all; house/flat; affordable/market; 1/2/3/4+"),
                Column("pupils_per_dwelling", "float", "yield", min=0, max=3),
                Column("source", "str", "where the figure comes from", required=False, nullable=True),
            ),
        ),
        Layer(
            "yield_profile",
            "Multiplier on each phase's yield by years since completion (0 = first academic year after).",
            (
                Column("phase", "str", "phase", choices=PHASES),
                Column("years_since_completion", "int", "0, 1, 2, ...", min=0, max=100),
                Column("multiplier", "float", "multiplier on the yield", min=0, max=10),
            ),
        ),
        Layer(
            "costs",
            "Cost per place by council, phase and project type.",
            (
                Column("council_code", "str", "council", ref="councils.council_code"),
                Column("phase", "str", "phase", choices=PHASES),
                Column("project_type", "str", "expansion, new_school or temporary", choices=PROJECT_TYPES),
                Column("cost_per_place", "float", "pounds per place before the location factor", min=0, max=MAX_COST_PER_PLACE),
                Column("location_factor", "float", "regional factor (1 if already adjusted)", min=0, max=5),
                Column("price_base", "str", "price base of the cost, e.g. 2024/25"),
                Column("source", "str", "source", required=False, nullable=True),
            ),
        ),
        Layer(
            "capacity_changes",
            "Planned expansions, new schools and removals, in force from their academic year.",
            (
                Column("planning_area_code", "str", "area", ref="planning_areas.planning_area_code"),
                Column("phase", "str", "primary or secondary", choices=("primary", "secondary")),
                Column("academic_year", "year", "first academic year the change is in force, e.g. 2018/19"),
                Column("places", "float", "places added (negative for a removal)", min=-MAX_PLACES, max=MAX_PLACES),
                Column("project_type", "str", "type", choices=PROJECT_TYPES, required=False, nullable=True),
                Column("description", "str", "what it is", required=False, nullable=True),
            ),
            required=False,
        ),
        Layer(
            "flows",
            "Share of pupils living in one planning area who go to schools in another (any council).",
            (
                Column("from_planning_area", "str", "area of residence", ref="planning_areas.planning_area_code"),
                Column("to_planning_area", "str", "area of school", ref="planning_areas.planning_area_code"),
                Column("phase", "str", "primary or secondary", choices=("primary", "secondary")),
                Column("share", "float", "share of the residents' pupils, 0-1", min=0, max=1),
            ),
            required=False,
        ),
        Layer(
            "funding",
            "Money expected per council and year: Basic Need grant and other funding.",
            (
                Column("council_code", "str", "council", ref="councils.council_code"),
                Column("academic_year", "year", "academic year"),
                Column("source", "str", "basic_need or other", choices=("basic_need", "other")),
                Column("amount", "float", "pounds", min=0, max=MAX_AMOUNT),
                Column("description", "str", "what it is", required=False, nullable=True),
            ),
            required=False,
        ),
        Layer(
            "meta",
            "Key/value facts: base_year, region_name, sources, licence, attribution, price_index, assumption.*",
            (
                Column("key", "str", "key", unique=True),
                Column("value", "str", "value"),
            ),
        ),
        Layer(
            "trajectories",
            "Explicit completions by site and academic year (overrides first_year/build_rate).",
            (
                Column("site_id", "str", "site", ref="sites.site_id"),
                Column("academic_year", "year", "academic year"),
                Column("dwellings", "float", "completions that year", min=0, max=100_000),
            ),
            required=False,
        ),
        Layer(
            "roll_history",
            "Past pupils on roll by planning area, academic year and NCY (0=R .. 13=Y13), for grade progression.",
            (
                Column("planning_area_code", "str", "area", ref="planning_areas.planning_area_code"),
                Column("academic_year", "year", "academic year"),
                Column("ncy", "int", "0 (R) to 13 (Y13)", min=0, max=13),
                Column("pupils", "float", "pupils on roll", min=0),
            ),
            required=False,
        ),
        Layer(
            "births",
            "Live births per council and year (mid-year to mid-year), for trended births.",
            (
                Column("council_code", "str", "council", ref="councils.council_code"),
                Column("year", "int", "year ending at mid-year", min=1900, max=2200),
                Column("births", "float", "births", min=0),
            ),
            required=False,
        ),
        Layer(
            "cohort_change",
            "Cohort change ratio per council from age a to a+1 (survival and net migration).",
            (
                Column("council_code", "str", "council", ref="councils.council_code"),
                Column("age", "int", "age a", min=0, max=MAX_AGE - 1),
                Column("ratio", "float", "population aged a+1 / aged a a year before", min=0, max=5),
            ),
            required=False,
        ),
        Layer(
            "postcodes",
            "Postcode lookup the region was built from: each postcode's grid reference (one point per "
            "postcode, as the ONS Postcode Directory gives it), so a new site can be placed by its postcode.",
            (
                Column("postcode", "str", "postcode, upper case with one space before the last three characters, "
                       "e.g. MK9 3EJ", unique=True),
                Column("easting", "int", "easting in metres (EPSG:27700)", min=0, max=MAX_EASTING),
                Column("northing", "int", "northing in metres (EPSG:27700)", min=0, max=MAX_NORTHING),
            ),
            required=False,
        ),
        Layer(
            "background_rates",
            "Recent completions a year per council, for netting the trend's past building.",
            (
                Column("council_code", "str", "council", ref="councils.council_code", unique=True),
                Column("dwellings_per_year", "float", "completions a year", min=0, max=100_000),
            ),
            required=False,
        ),
    )
}


#: Actual pupils on roll, for back-testing (not a bundle layer).
ACTUALS = Layer(
    "actuals",
    "Actual pupils on roll by council or planning area, phase and academic year.",
    (
        Column("level", "str", "council or planning_area", choices=("council", "planning_area")),
        Column("code", "str", "council code or planning-area code"),
        Column("phase", "str", "primary or secondary (secondary: Y7-Y13, or Y7-Y11 with --no-sixth-form)", choices=("primary", "secondary")),
        Column("academic_year", "year", "academic year, e.g. 2016/17"),
        Column("pupils", "float", "pupils on roll", min=0),
    ),
)
