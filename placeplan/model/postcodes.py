"""Placing a new site by its postcode, with the region's own postcode lookup.

The lookup is the bundle's optional ``postcodes`` layer (the demo ships the ONS Postcode
Directory's grid references of its four councils): one point per postcode, the
Directory's "postcode centroid", a representative address point of the postcode to 1 m.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from placeplan.errors import Problem, ValidationError
from placeplan.model.constants import AREA_PHASES, MAX_SITE_DISTANCE_M
from placeplan.model.geography import place
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = ["PostcodePlace", "normalise_postcode", "place_postcode"]

#: the shape of a UK postcode once spaces are removed: outward code (area, district), inward code
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise_postcode(text: object) -> str:
    """A postcode as the Postcode Directory writes it: upper case, one space before the
    inward code (its last three characters), no other spaces.

    >>> normalise_postcode(" mk9  3ej")
    'MK9 3EJ'
    >>> normalise_postcode("HP198HQ")
    'HP19 8HQ'
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def _lookup(region: Region) -> pd.DataFrame:
    """The region's postcodes indexed by their normalised form (built once per frame)."""
    pc = region.postcodes

    def compute():
        keys = pc["postcode"].astype(str).map(normalise_postcode) if len(pc) else pd.Series([], dtype=str)
        frame = pd.DataFrame({"easting": pc["easting"].to_numpy(dtype=float),
                              "northing": pc["northing"].to_numpy(dtype=float)}, index=pd.Index(keys, name="postcode"))
        return frame[~frame.index.duplicated()]

    return cached_on((pc,), ("postcode_lookup",), compute)


@dataclass(frozen=True)
class PostcodePlace:
    """Where a postcode is: its grid reference and the planning area of each phase it falls in.

    ``distance_m`` is how far the point lies outside its planning areas (0 inside; the
    demo's areas are built from generalised ward boundaries, so a few postcodes on a
    border fall just outside and go to the nearest area, as a site would).
    """

    postcode: str
    easting: float
    northing: float
    planning_areas: dict[str, str]
    distance_m: float = 0.0


def place_postcode(region: Region, postcode: object) -> PostcodePlace:
    """Find ``postcode`` in the region's lookup and the planning areas it falls in.

    Parameters
    ----------
    region : Region
        With a ``postcodes`` layer.
    postcode : str
        In any case and spacing (``"mk9 3ej"``, ``"MK93EJ"``).

    Returns
    -------
    PostcodePlace

    Raises
    ------
    ValidationError
        When the text is not a postcode, the region has no postcode lookup, the postcode
        is not in it, or it lies more than :data:`~placeplan.model.constants.MAX_SITE_DISTANCE_M`
        from every planning area of the region (the rule for a new site's coordinates).

    Notes
    -----
    The point goes to planning areas as a site's point does
    (:func:`placeplan.model.geography.place`): the area containing it, else the nearest.
    """
    code = normalise_postcode(postcode)

    def fail(message: str) -> ValidationError:
        return ValidationError([Problem("", "sites", None, "postcode", message)])

    if not code:
        raise fail("give the site's postcode, e.g. MK9 3EJ")
    if not POSTCODE.match(code.replace(" ", "")):
        raise fail(f"{str(postcode).strip()!r} is not a postcode: a postcode reads like MK9 3EJ")
    lookup = _lookup(region)
    if lookup.empty:
        raise fail("this region has no postcode lookup (its bundle has no postcodes layer): place the site "
                   "by planning area, on the map or by easting and northing")
    if code not in lookup.index:
        raise fail(f"postcode {code} is not in this region's postcode lookup ({len(lookup):,} postcodes of its "
                   "councils): check it, or place the site another way")
    east, north = (float(v) for v in lookup.loc[code, ["easting", "northing"]])
    point = gpd.GeoDataFrame({"site_id": [code]}, geometry=[Point(east, north)], crs=27700)
    placed = place(point, region.planning_areas, "site_id")
    if placed.empty:
        raise fail(f"postcode {code} cannot be placed: the region's planning areas have no boundaries")
    far = float(placed["distance_m"].max())
    if far > MAX_SITE_DISTANCE_M:
        raise fail(f"postcode {code} is not in the region's planning areas: it lies {far / 1000:,.1f} km from the "
                   f"nearest (more than {MAX_SITE_DISTANCE_M / 1000:g} km)")
    main = placed.sort_values("share", ascending=False).drop_duplicates("phase")
    areas = {ph: c for ph, c in zip(main["phase"], main["planning_area_code"]) if ph in AREA_PHASES}
    return PostcodePlace(code, east, north, areas, far)
