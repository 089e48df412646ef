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
from placeplan.model.constants import PLACES_PER_FE
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
        half = tuple(int(v) for v in np.add(LOW, HIGH) // 2)  # plain ints: numpy's repr is not CSS
        items = [swatch(NONE, "none needed"), swatch(LOW, "a few"), swatch(half, "about half"),
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
            # with no map style Streamlit fetches a basemap style from cartocdn.com: give it an
            # empty inline one (nothing at run time may download; tests/test_e2e_hostile_text.py),
            # as a data: URL (Streamlit's map reads mapStyle as text: an object broke every map)
            text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
            return '{"mapStyle":' + json.dumps(BLANK_STYLE_URL) + "," + text[1:]

    return CompactDeck


#: a MapLibre style with nothing in it: no tiles, no request leaves the page
BLANK_STYLE = {"version": 8, "sources": {}, "layers": []}
BLANK_STYLE_URL = "data:application/json," + urllib.parse.quote(json.dumps(BLANK_STYLE, separators=(",", ":")))


def fit_zoom(bounds, height: int, width: int = 900) -> float:
    """The Web Mercator zoom at which ``bounds`` (lon/lat) fit a map of ``height`` pixels and
    about ``width`` (the page's column): deck.gl draws 512 pixels round the world at zoom 0."""
    lon = max(bounds[2] - bounds[0], 1e-6)
    lat = max(bounds[3] - bounds[1], 1e-6) / max(np.cos(np.radians((bounds[1] + bounds[3]) / 2)), 0.1)
    return float(min(np.log2(width * 360 / (512 * lon)), np.log2(height * 360 / (512 * lat)), 12.0) - 0.1)


def area_map(geo, height: int = 520, key: str = "area_map"):
    """Planning areas (``geo`` with ``fill`` and ``label`` columns), council borders and sites.

    Returns the planning-area code clicked (the map selects one area), or None."""
    import pydeck as pdk

    bounds = geo.total_bounds
    view = pdk.ViewState(longitude=(bounds[0] + bounds[2]) / 2, latitude=(bounds[1] + bounds[3]) / 2,
                         zoom=fit_zoom(bounds, height))
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
    return selected_area(event, set(geo["planning_area_code"].astype(str)))


def selected_area(event, codes: set[str] | None = None) -> str | None:
    """The planning-area code of the area clicked in a map's selection ``event`` (what
    ``st.pydeck_chart(..., on_select="rerun")`` returns), or None: nothing clicked, a
    housing site clicked, or an area no longer shown (``codes``: those on the map)."""
    selection = getattr(event, "selection", None)
    if selection is None and isinstance(event, dict):
        selection = event.get("selection")
    picked = ((selection or {}).get("objects") or {}).get("areas") or []
    if not picked or not isinstance(picked[0], dict):
        return None
    props = picked[0].get("properties") or picked[0]
    code = props.get("planning_area_code")
    code = None if code is None else str(code)
    return code if code is not None and (codes is None or code in codes) else None


def new_pick(code: str | None, key: str) -> bool:
    """Whether ``code`` is a click not yet acted on (a map keeps its selection over reruns:
    acting on it once lets a selectbox set later win); remembered under ``key``."""
    if code is None or st.session_state.get(key) == code:
        return False
    st.session_state[key] = code
    return True


def area_labels(planning_areas: pd.DataFrame) -> dict[str, str]:
    """Planning areas as people know them, by code: "Bedford: Queens Park, Brickhill and
    3 more (primary, 8220003)" (the name is the council and the area's largest wards)."""
    pa = planning_areas
    return dict(zip(pa["planning_area_code"].astype(str), pa["planning_area"].astype(str) + " (" + pa["phase"].astype(str)
                    + ", " + pa["planning_area_code"].astype(str) + ")"))


def peak_map(sf: pd.DataFrame, phase: str, key: str, height: int = 440) -> str | None:
    """Planning areas of ``phase`` coloured by their peak places needed over the forecast
    years (in forms of entry), with the legend; returns the code of the area clicked."""
    geo = area_geojson(phase)
    one = sf[sf["phase"] == phase]
    peak = one.groupby("planning_area_code")["places_needed"].max()
    when = one.loc[one.groupby("planning_area_code")["places_needed"].idxmax(), ["planning_area_code", "academic_year"]]
    value = peak.reindex(geo["planning_area_code"]).fillna(0.0).to_numpy(dtype=float)
    year = when.set_index("planning_area_code")["academic_year"].reindex(geo["planning_area_code"]).astype(str).to_numpy()
    geo["fill"] = colour(value / PLACES_PER_FE[phase], True)
    geo["tip"] = [f"{name}\n" + (f"{v:,.0f} places needed at the peak ({y})" if v >= 0.5 else "no places needed in any year")
                  + "\nclick to choose this area" for name, v, y in zip(geo["planning_area"].astype(str), value, year)]
    picked = area_map(geo, height=height, key=key)
    legend(True, "a form of entry or more")
    return picked


__all__ = ["area_geojson", "area_labels", "area_map", "colour", "deck_class", "legend", "new_pick", "peak_map",
           "selected_area", "site_points"]
