"""The map: planning areas coloured by a measure, council borders and housing sites.

Geometry is reprojected and simplified once per region (and the sites once per set of
site changes), in caches shared by every session.
"""

from __future__ import annotations

import json
import urllib.parse

import numpy as np
import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.model.scenario import Scenario


@st.cache_resource(max_entries=16, show_spinner=False)
def _area_geojson(region_key: str, phase: str, _region: pp.Region):
    pa = _region.planning_areas
    pa = pa[(pa["phase"] == phase) & pa.geometry.notna()]
    g = pa[["planning_area_code", "planning_area", "council_code", "geometry"]].copy()
    g["geometry"] = g.geometry.simplify(30)
    return g.to_crs(4326)


def area_geojson(phase: str):
    """The session region's planning areas of ``phase`` in longitude/latitude (a copy to colour)."""
    return _area_geojson(state.region_key(), phase, state.region()).copy()


@st.cache_resource(max_entries=8, show_spinner=False)
def _council_lines(region_key: str, _region: pp.Region) -> dict:
    c = _region.councils[["council_code", "council", "geometry"]].copy()
    c["geometry"] = c.geometry.simplify(50).boundary
    return c.to_crs(4326).__geo_interface__


@st.cache_resource(max_entries=32, show_spinner=False)
def _site_points(region_key: str, changes: str, _region: pp.Region, _scenario: Scenario) -> pd.DataFrame:
    sc = _scenario
    changed = sc.add_sites or sc.remove_sites or sc.edit_sites
    sites = pp.apply_scenario(_region, sc)[0].sites if changed else _region.sites
    pts = sites.geometry.centroid.to_crs(4326)
    out = pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(), "site": sites["site"].astype(str).to_numpy(),
                        "site_id": sites["site_id"].astype(str).to_numpy(),
                        "dwellings": sites["dwellings"].astype(float).to_numpy()})
    out["radius"] = 40 * np.sqrt(out["dwellings"].clip(lower=1))
    out["label"] = out["site_id"] + ": " + out["dwellings"].map("{:,.0f} dwellings".format)
    out["tip"] = out["site"] + " — " + out["dwellings"].map("{:,.0f} dwellings".format) + " (" + out["site_id"] + ")"
    return out


def site_points() -> pd.DataFrame:
    """The current scenario's site centroids in longitude/latitude with map labels, kept
    until the sites change: reprojecting builds a transformer each time (about 60 ms)."""
    s = state.scenario()
    return _site_points(state.region_key(), state.site_changes_key(s), state.region(), s)


#: Colours of the map (lightness steps a colour-blind reader can tell apart): none needed,
#: a little short to very short (yellow to dark red), and not yet computed.
NONE, LOW, HIGH, UNKNOWN = (235, 235, 235), (255, 237, 160), (165, 0, 38), (190, 190, 190)


def colour(share: np.ndarray, short: bool) -> list[list[int]]:
    """Fill colours: yellow deepening to dark red up to ``share`` 1 where places are needed,
    light grey where none are; blues scaled to the largest value otherwise; mid grey where
    the value is not known (NaN: ranges not computed)."""
    raw = np.asarray(share, dtype=float)
    v = np.nan_to_num(raw)
    if short:
        scale = np.clip(v, 0, 1)
        return [list(UNKNOWN) + [90] if np.isnan(r) else
                ([int(LOW[k] + (HIGH[k] - LOW[k]) * s) for k in range(3)] + [190] if x > 0 else list(NONE) + [120])
                for r, x, s in zip(raw, v, scale)]
    scale = np.clip(v / max(v.max(), 1.0), 0, 1)
    return [[int(220 - 170 * s), int(230 - 100 * s), 240, 160] for s in scale]


def legend(short: bool, what: str) -> None:
    """The map's legend under it (fixed words and colours, no user text)."""
    def swatch(rgb, text):
        return (f'<span style="display:inline-block;width:14px;height:14px;background:rgb{tuple(rgb)};'
                f'border:1px solid #888;margin:0 4px -2px 12px"></span>{text}')
    if short:
        items = [swatch(NONE, "none needed"), swatch(LOW, "a few"), swatch(tuple((np.add(LOW, HIGH)) // 2), "about half"),
                 swatch(HIGH, what), swatch(UNKNOWN, "not computed")]
    else:
        items = [swatch((220, 230, 240), "few"), swatch((50, 130, 240), "most")]
    items.append(swatch((60, 60, 160), "housing site (size: dwellings)"))
    st.markdown("".join(items), unsafe_allow_html=True)


def deck_class():
    """pydeck's Deck, serialised compactly (pydeck indents its JSON, which makes Python
    encode the map's GeoJSON in pure Python: about 60 ms of every Overview rerun), on an
    empty base map."""
    import pydeck as pdk
    from pydeck.bindings.json_tools import default_serialize

    class CompactDeck(pdk.Deck):
        def to_json(self) -> str:
            # no base map, and nothing fetched from outside (nothing at run time may download;
            # tests/test_e2e_hostile_text.py): an empty style as a data: URL. Streamlit 1.67's
            # frontend calls mapStyle.includes() (a style object fails with a TypeError) and
            # takes an empty string or none for "use the default basemap" (cartocdn.com)
            text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
            return '{"mapStyle":' + json.dumps(BLANK_STYLE, separators=(",", ":")) + "," + text[1:]

    return CompactDeck


#: a MapLibre style with nothing in it, inline: no tiles, no request leaves the page
BLANK_STYLE = "data:application/json," + urllib.parse.quote(json.dumps({"version": 8, "sources": {}, "layers": []}))


def area_map(geo, height: int = 520, key: str = "area_map"):
    """Planning areas (``geo`` with ``fill`` and ``label`` columns), council borders and sites.

    Returns the planning-area code clicked (the map selects one area), or None."""
    import pydeck as pdk

    bounds = geo.total_bounds
    view = pdk.ViewState(longitude=(bounds[0] + bounds[2]) / 2, latitude=(bounds[1] + bounds[3]) / 2, zoom=8.3)
    layers = [
        pdk.Layer("GeoJsonLayer", geo.__geo_interface__, id="areas", pickable=True, stroked=True, filled=True,
                  get_fill_color="properties.fill", get_line_color=[90, 90, 90, 200], line_width_min_pixels=1),
        pdk.Layer("GeoJsonLayer", _council_lines(state.region_key(), state.region()), stroked=True, filled=False,
                  get_line_color=[20, 20, 20, 255], line_width_min_pixels=3),
        pdk.Layer("ScatterplotLayer", site_points(), get_position=["lon", "lat"], get_radius="radius",
                  get_fill_color=[60, 60, 160, 180], pickable=True, id="sites"),
    ]
    event = st.pydeck_chart(deck_class()(layers=layers, initial_view_state=view, map_style=None,
                                         tooltip={"text": "{tip}"}), height=height, on_select="rerun",
                            selection_mode="single-object", key=key)
    picked = (getattr(event, "selection", None) or {}).get("objects", {}).get("areas") or []
    if picked:
        props = picked[0].get("properties", picked[0])
        return props.get("planning_area_code")
    return None


__all__ = ["area_geojson", "area_map", "colour", "deck_class", "legend", "site_points"]
