"""Checking a layer's frame against its schema: every problem named by layer, row and column."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from placeplan.errors import Problem
from placeplan.io.schema import LAYERS, Column, Layer
from placeplan.model.constants import parse_academic_year
from placeplan.model.util import member

MAX_PER_COLUMN = 20
#: academic years a file may name (start years)
YEARS = (1900, 2200)
#: free-text columns may hold tabs and line breaks; no other text may hold a control character
FREE_TEXT = ("notes", "description", "source")
CONTROL = r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
FREE_TEXT_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
BNG = 27700


def _to_year(value: object) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    try:
        return float(parse_academic_year(value))
    except (ValueError, TypeError):
        return np.inf  # marks unreadable


def _plain(value: object) -> object:
    """A numpy scalar as the Python value a user would recognise in messages."""
    return value.item() if isinstance(value, np.generic) else value


def coerce_column(frame: pd.DataFrame, col: Column, layer: str, file: str, row_offset: int) -> tuple[pd.Series, list[Problem]]:
    """Return the column converted to its kind, and the problems of its values."""
    problems: list[Problem] = []
    raw = frame[col.name]
    # a numeric column has no blank text: turning 50,000 numbers into text would take a second
    numeric = pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)
    missing = raw.isna() if numeric else raw.isna() | raw.astype("string").str.strip().fillna("").eq("")

    def report(mask: np.ndarray, message, shown: pd.Series | None = None) -> None:
        rows = np.flatnonzero(mask)
        source = raw if shown is None else shown
        for r in rows[:MAX_PER_COLUMN]:
            text = message(_plain(source.iloc[r])) if callable(message) else message
            problems.append(Problem(file, layer, int(r) + row_offset, col.name, text))
        if len(rows) > MAX_PER_COLUMN:
            problems.append(Problem(file, layer, None, col.name, f"... {len(rows) - MAX_PER_COLUMN} more rows like these"))

    if col.kind in ("float", "int"):
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        unreadable = values.isna() & ~missing
        report(unreadable.to_numpy(), lambda v: f"{v!r} is not a number")
        values = values.where(~np.isinf(values), np.nan)
        inf = np.isinf(pd.to_numeric(raw, errors="coerce").astype(float)).to_numpy()
        report(inf, "infinite value")
        if col.kind == "int":
            frac = values.notna() & (values % 1 != 0)
            report(frac.to_numpy(), lambda v: f"{v!r} is not a whole number")
        if col.min is not None:
            report((values < col.min).to_numpy(), lambda v: f"{v:g} is below the minimum {col.min:g}", values)
        if col.max is not None:
            report((values > col.max).to_numpy(), lambda v: f"{v:g} is above the maximum {col.max:g}", values)
        out = values
        if col.kind == "int":
            huge = values.abs() > 2**53
            report(huge.to_numpy(), lambda v: f"{v!r} is too large for a whole number")
            if not problems:
                out = values.round().astype("Int64")
    elif col.kind == "year":
        years = raw.map(_to_year).astype(float)
        report(np.isinf(years.to_numpy()), lambda v: f"{v!r} is not an academic year like 2024/25")
        out = years.where(~np.isinf(years), np.nan)
        report(((out < YEARS[0]) | (out > YEARS[1])).to_numpy(),
               lambda v: f"{v!r} is not an academic year between {YEARS[0]} and {YEARS[1]}")
    elif col.kind == "bool":
        out = raw.astype("string").str.lower().isin(["1", "true", "yes", "y"])
    else:
        out = raw.astype("string").str.strip()
        pattern = FREE_TEXT_CONTROL if col.name in FREE_TEXT else CONTROL
        # one search over the column's text first: row by row is a Python regex call per row
        # (0.2 s for 50,000 postcodes), needed only to name the rows when one is found
        if re.search(pattern, "".join(out.dropna().tolist())):
            control = out.str.contains(pattern, regex=True).fillna(False)
            report(control.to_numpy(), lambda v: f"{v!r} holds a control character: remove it")
        if col.choices:
            bad = ~missing & ~out.isin(col.choices).fillna(False)
            report(bad.to_numpy(), lambda v: f"{v!r} is not one of {', '.join(col.choices)}")
    if not col.nullable:
        report(missing.to_numpy(), "value is missing")
    if col.unique:
        dup = out.duplicated(keep="first") & ~missing
        report(dup.to_numpy(), lambda v: f"duplicate {v!r}: must be unique")
        if col.kind == "str":  # 'mk1' and 'MK1' are one site to a reader (and to a case-blind lookup)
            folded = out.str.casefold()
            case = folded.duplicated(keep="first") & ~dup & ~missing
            # the first spelling of each id, only when one repeats (a dict of 50,000 ids takes a second)
            first = dict(zip(folded[~folded.duplicated()], out[~folded.duplicated()])) if case.any() else {}
            report(case.to_numpy(), lambda v: f"{v!r} differs from {first.get(str(v).casefold())!r} only in case: "
                                              "ids must be unique ignoring case")
    return out, problems


def check_layer(frame: pd.DataFrame, layer: Layer | str, file: str = "", row_offset: int = 1) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert one layer's frame.

    Parameters
    ----------
    row_offset : int
        Added to the 0-based position to report rows (1: first feature; 2: first data line
        of a CSV under its header).

    Returns
    -------
    (frame, problems)
        The frame with columns converted to their kinds (absent optional columns added
        as missing); problems is empty when the layer is valid.
    """
    layer = LAYERS[layer] if isinstance(layer, str) else layer
    problems: list[Problem] = []
    out = frame.copy()
    present = {str(c).strip(): c for c in frame.columns}
    lower = {k.lower(): v for k, v in present.items()}
    for col in layer.columns:
        if col.name not in present and col.name.lower() in lower:
            out = out.rename(columns={lower[col.name.lower()]: col.name})
            present[col.name] = col.name
        if col.name not in present:
            if col.required:
                close = [c for c in present if _similar(c, col.name)]
                hint = f" (found {close[0]!r}: misspelt?)" if close else ""
                problems.append(Problem(file, layer.name, None, col.name, f"required column is missing{hint}"))
            out[col.name] = pd.Series(pd.NA if col.kind == "str" else np.nan, index=out.index, dtype="string" if col.kind == "str" else float)
            continue
        converted, found = coerce_column(out, col, layer.name, file, row_offset)
        out[col.name] = converted
        problems.extend(found)
    for group in SHARES.get(layer.name, ()):
        problems.extend(check_shares(out, group, layer.name, file, row_offset))
    if layer.geometry:
        problems.extend(check_geometry(out, layer, file, row_offset))
    return out, problems


#: columns whose shares of one whole must not add up to more than 1
SHARES = {"sites": (("share_1bed", "share_2bed", "share_3bed", "share_4bed"),)}


def check_shares(frame: pd.DataFrame, columns: tuple[str, ...], layer: str, file: str, row_offset: int) -> list[Problem]:
    """Rows whose shares of one whole (e.g. homes by bedrooms) add up to more than 1."""
    present = [c for c in columns if c in frame]
    if not present:
        return []
    total = frame[present].apply(pd.to_numeric, errors="coerce").astype(float).sum(axis=1, min_count=1)
    bad = (total > 1 + 1e-6).to_numpy()
    return [Problem(file, layer, int(r) + row_offset, present[0],
                    f"{', '.join(present)} add up to {total.iloc[r]:g}, more than 1") for r in np.flatnonzero(bad)[:MAX_PER_COLUMN]]


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.8


def check_geometry(frame: pd.DataFrame, layer: Layer, file: str, row_offset: int) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        problems.append(Problem(file, layer.name, None, "geometry", "layer has no geometry"))
        return problems
    crs = frame.crs
    if crs is None:
        problems.append(Problem(file, layer.name, None, "geometry", "no coordinate reference system; expected EPSG:27700 (British National Grid)"))
    elif crs.to_epsg() != BNG:
        name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
        problems.append(
            Problem(file, layer.name, None, "geometry",
                    f"coordinates are in {name}; expected EPSG:27700 (British National Grid): reproject the layer")
        )
    geom = frame.geometry
    null = geom.isna().to_numpy()
    empty = np.zeros(len(frame), dtype=bool)
    empty[~null] = geom[~null].is_empty.to_numpy()
    for r in np.flatnonzero((null if not layer.geometry_nullable else np.zeros_like(null)) | empty)[:MAX_PER_COLUMN]:
        problems.append(Problem(file, layer.name, int(r) + row_offset, "geometry", "geometry is missing or empty"))
    ok = ~null & ~empty
    types = geom.geom_type.to_numpy()
    wrong = ok & ~np.isin(types, layer.geometry)
    for r in np.flatnonzero(wrong)[:MAX_PER_COLUMN]:
        problems.append(Problem(file, layer.name, int(r) + row_offset, "geometry",
                                f"{types[r]} where {' or '.join(layer.geometry)} is expected"))
    valid = np.ones(len(frame), dtype=bool)
    valid[ok] = geom[ok].is_valid.to_numpy()
    for r in np.flatnonzero(~valid)[:MAX_PER_COLUMN]:
        from shapely.validation import explain_validity

        problems.append(Problem(file, layer.name, int(r) + row_offset, "geometry",
                                f"invalid geometry ({explain_validity(geom.iloc[r])})"))
    if crs is not None and crs.to_epsg() == BNG and ok.any():
        b = geom[ok].bounds
        outside = (b["minx"] < -1e5) | (b["maxx"] > 8e5) | (b["miny"] < -1e5) | (b["maxy"] > 1.3e6)
        # Degrees labelled as metres sit within a few hundred metres of the grid's origin, in the sea.
        outside |= (b["minx"].abs() <= 180) & (b["maxx"].abs() <= 180) & (b["miny"].abs() <= 90) & (b["maxy"].abs() <= 90)
        for r in np.flatnonzero(ok)[outside.to_numpy()][:MAX_PER_COLUMN]:
            problems.append(Problem(file, layer.name, int(r) + row_offset, "geometry",
                                    "coordinates are outside Great Britain for EPSG:27700 (longitude/latitude given as BNG?)"))
    return problems


def check_references(frames: dict[str, pd.DataFrame], file: str = "") -> list[Problem]:
    """Problems where a column refers to a code the referenced layer lacks."""
    problems: list[Problem] = []
    for name, frame in frames.items():
        layer = LAYERS.get(name)
        if layer is None or frame is None:
            continue
        for col in layer.columns:
            if not col.ref or col.name not in frame:
                continue
            ref_layer, ref_col = col.ref.split(".")
            target = frames.get(ref_layer)
            if target is None or ref_col not in target:
                continue
            known = set(target[ref_col].dropna().astype(str))
            values = frame[col.name]
            bad = values.notna() & ~member(values.astype(str), known)
            for r in np.flatnonzero(bad.to_numpy())[:MAX_PER_COLUMN]:
                problems.append(Problem(file, name, int(r) + 1, col.name,
                                        f"{values.iloc[r]!r} is not a {ref_col} in layer {ref_layer}"))
    return problems


def duplicate_rows(frame: pd.DataFrame, key: list[str], layer: str, file: str = "", row_offset: int = 1) -> list[Problem]:
    """Rows repeating an earlier row's ``key`` (ignoring case): a repeated capacity or funding
    row would be counted twice by the forecast, a repeated cost key would be ambiguous."""
    if not len(frame):
        return []
    text = frame[key].astype("string").fillna("").apply(lambda s: s.str.strip().str.casefold())
    dup = text.duplicated(keep="first").to_numpy()
    what = "the same " + ", ".join(key) if len(key) < len(frame.columns) else "the same values"
    return [Problem(file, layer, int(r) + row_offset, key[0], f"repeats {what} as an earlier row: give each once")
            for r in np.flatnonzero(dup)[:MAX_PER_COLUMN]]
