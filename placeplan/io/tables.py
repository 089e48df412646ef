"""Sites from CSV/XLSX, and exports of results to CSV/XLSX with provenance."""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from placeplan.errors import Problem, ValidationError
from placeplan.io.schema import LAYERS
from placeplan.io.validate import check_layer
from placeplan.model.constants import academic_year_label, parse_academic_year
from placeplan.model.forecast import Results
from placeplan.model.geography import place
from placeplan.model.region import Region

YEAR_COLUMN = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2})\s*$")
MAX_TABLE_BYTES = 50 * 1024**2
#: an XLSX's parts, unpacked (openpyxl holds a sheet's XML: ~20 bytes of memory per byte)
MAX_UNZIPPED_BYTES = 10 * 1024**2
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_table(path: str | os.PathLike, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV or XLSX file as text columns, with clear errors for unreadable files."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise ValidationError([Problem(file, "", None, None, "file not found")])
    size = path.stat().st_size
    if size == 0:
        raise ValidationError([Problem(file, "", None, None, "the file is empty")])
    if size > MAX_TABLE_BYTES:
        raise ValidationError([Problem(file, "", None, None, f"the file is {size / 1024**2:.0f} MB; the limit is {MAX_TABLE_BYTES // 1024**2} MB")])
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            if not zipfile.is_zipfile(path):
                raise ValidationError([Problem(file, "", None, None, "not an XLSX workbook (not a zip file); is the extension right?")])
            check_unzipped_size(path, file)
            header = pd.read_excel(path, sheet_name=sheet, header=None, nrows=1, dtype=object, engine="openpyxl")
            check_header(list(header.iloc[0]) if len(header) else [], file)
            return pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
        if suffix in (".csv", ".txt"):
            raw = path.read_bytes()
            if raw[:4] == b"PK\x03\x04" or raw[:15] == b"SQLite format 3":
                raise ValidationError([Problem(file, "", None, None, "not a CSV text file; is the extension right?")])
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise ValidationError([Problem(file, "", line - 1 if line > 1 else None, None,
                                               f"line {line} is not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8")]) from None
            import csv
            from io import StringIO

            try:
                first = next(csv.reader(StringIO(text[:1_000_000], newline="")), [])
            except csv.Error:
                first = []  # pandas says what is wrong with the file
            check_header(first, file)
            return pd.read_csv(StringIO(text), dtype=object, skipinitialspace=True)
    except ValidationError:
        raise
    except (ValueError, KeyError, pd.errors.ParserError, pd.errors.EmptyDataError, zipfile.BadZipFile, OSError) as exc:
        raise ValidationError([Problem(file, "", None, None, f"cannot be read: {exc}")]) from None
    raise ValidationError([Problem(file, "", None, None, f"unsupported file type {suffix!r}: use .csv or .xlsx for sites, "
                                                       ".gpkg for a region, .json for a scenario")])


def check_unzipped_size(path: Path, file: str) -> None:
    """Refuse a workbook that would inflate past :data:`MAX_UNZIPPED_BYTES` (a "zip bomb": a
    small file of highly compressed XML). Reads only the zip's central directory."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    total = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or total > MAX_UNZIPPED_BYTES:
        raise ValidationError([Problem(file, "", None, None,
                                       f"the workbook unpacks to {total / 1024**2:,.0f} MB in {len(infos)} parts; the limit "
                                       f"is {MAX_UNZIPPED_BYTES // 1024**2} MB: save only the sites sheet, or as CSV")])


def check_header(names: list, file: str) -> None:
    """Refuse a header that names a column twice (the second would silently be ignored)."""
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        if name is None or (isinstance(name, float) and name != name):
            continue
        key = str(name).strip().lower()
        if key and key in seen:
            problems.append(Problem(file, "", 1, str(name).strip(),
                                    f"column {str(name).strip()!r} appears twice in the header (columns {seen[key] + 1} "
                                    f"and {i + 1}): keep one"))
        seen.setdefault(key, i)
    if problems:
        raise ValidationError(problems)


def sites_from_table(table: pd.DataFrame, file: str = "", layer: str = "sites") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Turn a sites table (template columns) into a sites layer and its trajectories.

    Location is ``easting``/``northing`` (EPSG:27700) or ``longitude``/``latitude`` (WGS84).
    Columns named like ``2019/20`` are an explicit trajectory of completions.

    Raises
    ------
    ValidationError
        Rows are numbered as in a spreadsheet: row 2 is the first under the header.
    """
    table = table.rename(columns=lambda c: str(c).strip())
    if table.empty:
        raise ValidationError([Problem(file, layer, None, None, "the file has no rows under its header")])
    lower = {c.lower(): c for c in table.columns}
    problems: list[Problem] = []
    checked, found = check_layer(table.assign(geometry=None).drop(columns="geometry"), "sites", file, row_offset=2)
    found = [p for p in found if p.column != "geometry"]
    problems.extend(found)
    n = len(table)
    x = y = None
    if "easting" in lower and "northing" in lower:
        x = pd.to_numeric(table[lower["easting"]], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(table[lower["northing"]], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(x) | ~np.isfinite(y) | (x < 0) | (x > 7e5) | (y < 0) | (y > 1.3e6)
        for r in np.flatnonzero(bad)[:20]:
            problems.append(Problem(file, layer, int(r) + 2, "easting", "easting/northing missing or outside Great Britain (EPSG:27700 metres)"))
        small = np.isfinite(x) & (np.abs(x) < 200) & np.isfinite(y) & (np.abs(y) < 200)
        if small.any():
            problems.append(Problem(file, layer, int(np.flatnonzero(small)[0]) + 2, "easting",
                                    "looks like longitude/latitude: name the columns longitude and latitude"))
    elif "longitude" in lower and "latitude" in lower:
        lon = pd.to_numeric(table[lower["longitude"]], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(table[lower["latitude"]], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (lon < -9) | (lon > 2.5) | (lat < 49) | (lat > 61)
        for r in np.flatnonzero(bad)[:20]:
            problems.append(Problem(file, layer, int(r) + 2, "longitude", "longitude/latitude missing or outside Great Britain (WGS84 degrees)"))
        x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    else:
        problems.append(Problem(file, layer, None, "easting", "needs easting and northing (EPSG:27700) or longitude and latitude columns"))
    year_cols = [c for c in table.columns if YEAR_COLUMN.match(str(c))]
    traj = pd.DataFrame(columns=["site_id", "academic_year", "dwellings"])
    if year_cols and not problems:  # a trajectory is read only for rows whose ids and dwellings are sound
        long = table[["site_id", *year_cols]].melt(id_vars="site_id", var_name="year", value_name="dwellings") if "site_id" in table else None
        if long is not None:
            vals = pd.to_numeric(long["dwellings"], errors="coerce")
            bad = long["dwellings"].notna() & (vals.isna() | (vals < 0))
            for i in np.flatnonzero(bad.to_numpy())[:20]:
                r = i % n
                problems.append(Problem(file, layer, int(r) + 2, str(long["year"].iloc[i]), f"{long['dwellings'].iloc[i]!r} is not a number of dwellings >= 0"))
            long = long.assign(dwellings=vals).dropna(subset=["dwellings"])
            long["academic_year"] = long["year"].map(parse_academic_year)
            traj = long[["site_id", "academic_year", "dwellings"]].reset_index(drop=True)
            tot = traj.groupby("site_id")["dwellings"].sum()
            dw = pd.Series(checked["dwellings"].to_numpy(dtype=float), index=checked["site_id"].astype(str))
            for sid, s in tot.items():
                if str(sid) in dw.index and s > dw[str(sid)] + 1e-9:
                    r = int(np.flatnonzero(dw.index == str(sid))[0])
                    problems.append(Problem(file, layer, r + 2, year_cols[0], f"trajectory adds up to {s:g}, more than the site's {dw[str(sid)]:g} dwellings"))
    if problems:
        raise ValidationError(problems)
    geometry = gpd.points_from_xy(x, y, crs=27700) if n else gpd.GeoSeries([], crs=27700)
    cols = [c.name for c in LAYERS["sites"].columns]
    sites = gpd.GeoDataFrame(checked[cols], geometry=geometry, crs=27700)
    sites["first_year"] = sites["first_year"].astype(int)
    return sites, traj


def read_sites(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read a council's sites file (CSV, XLSX or a GeoPackage with a ``sites`` layer)."""
    path = Path(path)
    if path.suffix.lower() == ".gpkg":
        from placeplan.io.bundle import _open, read_layer_frame

        layers = _open(path)
        if "sites" not in layers:
            raise ValidationError([Problem(str(path), "sites", None, None, "the GeoPackage has no layer named sites")])
        frame, problems = check_layer(read_layer_frame(path, "sites"), "sites", str(path))
        if problems:
            raise ValidationError(problems)
        frame["first_year"] = frame["first_year"].astype(int)
        return frame, pd.DataFrame(columns=["site_id", "academic_year", "dwellings"])
    return sites_from_table(read_table(path), str(path))


def with_sites(region: Region, sites: gpd.GeoDataFrame, trajectories: pd.DataFrame, file: str = "") -> Region:
    """Replace a region's sites with a council's own, placing them in planning areas."""
    known = set(region.councils["council_code"].astype(str))
    problems = [
        Problem(file, "sites", int(r) + 2, "council_code", f"{sites['council_code'].iloc[r]!r} is not a council of the region")
        for r in np.flatnonzero(~sites["council_code"].astype(str).isin(known).to_numpy())[:20]
    ]
    first = region.base_academic_year
    problems += [
        Problem(file, "sites", int(r) + 2, "first_year",
                f"year {int(sites['first_year'].iloc[r])} is before the base year {region.base_year}")
        for r in np.flatnonzero((sites["first_year"].to_numpy(dtype=float) < first).astype(bool))[:20]
    ]
    if len(trajectories):
        row_of = {sid: i + 2 for i, sid in enumerate(sites["site_id"].astype(str))}
        early = trajectories[trajectories["academic_year"] < first]
        problems += [Problem(file, "sites", row_of.get(str(r.site_id)), academic_year_label(int(r.academic_year)),
                             f"completions in {academic_year_label(int(r.academic_year))} are before the base year {region.base_year}")
                     for r in early.head(20).itertuples()]
    if problems:
        raise ValidationError(problems)
    return region.replace(sites=sites.reset_index(drop=True), trajectories=trajectories,
                          site_areas=place(sites, region.planning_areas, "site_id"))


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False)
            if risky.any():
                out[col] = s.astype(object).where(~risky.to_numpy(), "'" + text.astype(object))
    out.columns = [("'" + str(c)) if str(c).startswith(FORMULA_START) else c for c in out.columns]
    return out


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=path.parent, prefix=f".{path.stem}-")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def export_tables(tables: dict[str, pd.DataFrame], path: str | os.PathLike, header=None) -> Path:
    """Write tables to XLSX (one sheet each) or the first table to CSV, atomically.

    Text that a spreadsheet would run as a formula is neutralised. ``header`` (a column
    name -> the header shown, e.g. ``placeplan.app.display.header``) writes headers in
    words in an XLSX; number formats still follow the column names. A CSV stays plain.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        def write(tmp: str) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                for name, frame in tables.items():
                    neutralise(frame).to_excel(xl, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
                    _format_sheet(xl.sheets[name[:31]], frame, header)
        return _atomic(path, write)
    if suffix == ".csv":
        first = next(iter(tables.values()))
        return _atomic(path, lambda tmp: neutralise(first).to_csv(tmp, index=False))
    raise ValidationError([Problem(str(path), "", None, None, f"cannot export to {suffix!r}: use .xlsx or .csv")])


def _format_sheet(sheet, frame: pd.DataFrame, header=None) -> None:
    """Number formats by column kind (£, thousands, yields to 3 d.p., %), headers (in
    words, with ``header``) and widths to fit them, and a filter on the header row (the
    header is frozen by ``to_excel``)."""
    from openpyxl.utils import get_column_letter

    from placeplan.io.formats import XLSX_FORMATS, column_kind

    for j, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        shown = str(column) if header is None else str(header(str(column)))
        sheet.cell(1, j).value = shown
        sheet.column_dimensions[letter].width = min(60, max(10, len(shown) + 2))
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        number_format = XLSX_FORMATS[column_kind(str(column))]
        if column_kind(str(column)) == "count" and not pd.api.types.is_integer_dtype(values) \
                and (values.dropna() % 1 != 0).any() and values.abs().max() < 10:
            number_format = "0.0"  # small fractional figures (not pupils or places): no false zeros
        for (cell,) in sheet.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=j, max_col=j):
            cell.number_format = number_format
    if len(frame.columns):
        sheet.auto_filter.ref = sheet.dimensions


#: the sheets an export writes: every result table but the long per-NCY pupils table
EXPORT_SHEETS = tuple(name for name in Results.TABLES if name != "pupils")


def results_tables(results, sheets: tuple[str, ...] = EXPORT_SHEETS, ranges=None) -> dict[str, pd.DataFrame]:
    """The tables of a forecast; with Monte Carlo ``ranges``, P10/P50/P90 columns sit beside
    the central figures and the provenance records the draws and seed."""
    # only the tables asked for: a forecast builds each table when first read
    t = {name: _with_council_names(getattr(results, name), results) for name in sheets}
    if ranges is not None:
        key = ["council_code", "planning_area_code", "phase", "academic_year"]
        extra = [c for c in ranges.shortfall.columns if c.endswith(("_p10", "_p50", "_p90")) or c == "probability_short"]
        if "shortfall" in t:
            t["shortfall"] = t["shortfall"].merge(ranges.shortfall[key + extra], on=key, how="left")
        fkey = ["council_code", "academic_year"]
        fextra = [c for c in ranges.funding_gap.columns if c.startswith("funding_gap_p")]
        if "funding_gap" in t:
            t["funding_gap"] = t["funding_gap"].merge(ranges.funding_gap[fkey + fextra], on=fkey, how="left")
        s = ranges.settings
        if "provenance" in t:
            t["provenance"] = pd.concat([t["provenance"], pd.DataFrame(
                [("monte_carlo.draws", str(s.draws)), ("monte_carlo.seed", str(s.seed)),
                 ("monte_carlo.settings", repr(s))], columns=["key", "value"])], ignore_index=True)
    return {s: t[s] for s in sheets}


def _with_council_names(frame: pd.DataFrame, results) -> pd.DataFrame:
    """``frame`` with a ``council`` name column after its ``council_code`` where it has only
    the code (names from the forecast's own funding gap table)."""
    if "council_code" not in frame.columns or "council" in frame.columns:
        return frame
    fg = results.funding_gap
    names = dict(zip(fg["council_code"].astype(str), fg["council"].astype(str)))
    out = frame.copy()
    out.insert(list(out.columns).index("council_code") + 1, "council", out["council_code"].astype(str).map(names))
    return out


def export_results(results, path: str | os.PathLike, ranges=None, changes: pd.DataFrame | None = None,
                   explanations=()) -> Path:
    """Export a forecast: XLSX with every sheet and provenance, or the shortfall table as CSV.

    A CSV carries its provenance in a sidecar ``<name>.provenance.csv``. In an XLSX, money
    shows as £ with thousands separators, counts with separators, yields to 3 d.p.;
    headers are frozen. ``changes`` (:func:`~placeplan.model.comparison.scenario_changes`)
    adds a ``scenario changes`` sheet beside the provenance; ``explanations``
    (:func:`placeplan.explain` results) an ``explain`` sheet of their parts.
    """
    path = Path(path)
    tables = results_tables(results, ranges=ranges)
    if path.suffix.lower() == ".xlsx":
        if changes is not None:
            tables["scenario changes"] = changes
        if explanations:
            tables["explain"] = pd.concat([e.to_frame().assign(figure=e.figure, unit=e.unit)[["figure", "step", "item", "value", "unit"]]
                                           for e in explanations], ignore_index=True)
    if path.suffix.lower() == ".csv":
        export_tables({"shortfall": tables["shortfall"]}, path)
        export_tables({"provenance": tables["provenance"]}, path.with_suffix(".provenance.csv"))
        return path
    return export_tables(tables, path)


def read_actuals(path: str | os.PathLike) -> pd.DataFrame:
    """Read an actuals table (CSV or XLSX) for back-testing; ValidationError names row and column."""
    from placeplan.io.schema import ACTUALS

    table = read_table(path)
    frame, problems = check_layer(table, ACTUALS, str(path), row_offset=2)
    if problems:
        raise ValidationError(problems)
    frame["academic_year"] = frame["academic_year"].astype(int)
    frame["code"] = frame["code"].astype(str)
    return frame[[c.name for c in ACTUALS.columns]]


def placement_warnings(region: Region, file: str) -> list[str]:
    """Sites outside every planning area of a phase (placed in the nearest), by row."""
    sa = region.site_areas
    if not len(sa):
        return []
    row_of = {sid: i + 2 for i, sid in enumerate(region.sites["site_id"].astype(str))}
    near = sa[sa["method"] == "nearest"].drop_duplicates("id")
    return [f"{file}, layer sites, row {row_of.get(r.id, '?')}, column geometry: site {r.id} is outside every "
            f"{r.phase} planning area; placed in the nearest, {r.planning_area_code} ({r.distance_m:,.0f} m away)"
            for r in near.itertuples()]
