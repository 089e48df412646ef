"""A council's sites file, turned into scenario changes that touch that council's sites only.

A planner uploads their council's sites (the ``templates/sites.csv`` columns). Rather than
swapping the region's sites (which would drop every other council's), the upload becomes
changes to the current scenario: ``add_sites``, ``remove_sites`` and ``edit_sites``, so it
is rights-checked, counted, compared and saved like any other edit, and the base region is
never touched.

Two modes:

``"replace"``
    The council's sites become the file's: its sites missing from the file are removed,
    new ids are added, sites with the same id take the file's values.
``"merge"``
    By site id: new ids are added and the same ids take the file's values; nothing is
    removed.

A blank cell leaves that field as it is (blank means "not given", not "clear it").
What a scenario change cannot hold is said, never dropped silently: an explicit
trajectory becomes its average build rate from its first year of completions; a site moved
to another location is removed and added again there (it is placed anew); notes are not
kept (the forecast does not use them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.model.changes import value_in_words
from placeplan.model.region import Region
from placeplan.model.scenario import SITE_FIELDS, Scenario, apply_scenario

__all__ = ["MODES", "SitesUpdate", "area_peaks_changed", "council_sites_update"]

#: How a council's file applies: its sites become the file's, or the file's are merged in by id.
MODES = ("replace", "merge")
#: Fields compared between the file and the sites now (the council is fixed by the upload).
_FIELDS = tuple(f for f in SITE_FIELDS if f not in ("site_id", "council_code"))
#: Field names in words, for the preview.
_WORDS = {"site": "name", "dwellings": "dwellings", "status": "status", "first_year": "first completions",
          "build_rate": "build rate (a year)", "share_houses": "houses share", "affordable_share": "affordable share",
          "share_1bed": "1-bed share", "share_2bed": "2-bed share", "share_3bed": "3-bed share",
          "share_4bed": "4-bed share"}
#: A site moved by at least this many metres is placed anew.
MOVED_M = 1.0
#: The preview's columns: what changes comes right after the site's name (read first).
PREVIEW_COLUMNS = ["change", "site", "what_changes", "council", "primary_planning_area", "secondary_planning_area",
                   "site_id"]


@dataclass(frozen=True)
class SitesUpdate:
    """What a council's sites file does to the current scenario.

    Attributes
    ----------
    scenario : Scenario
        The current scenario with the file's changes (equal to it when nothing changes).
    preview : DataFrame
        One row per site added, removed or edited: ``change`` (``added``, ``removed``,
        ``edited``), ``site`` (name), ``what_changes`` in words, ``council`` (name), the
        primary and secondary planning areas (names) and ``site_id``.
    notes : tuple of str
        What the file holds that a scenario change cannot, and what was done instead.
    """

    scenario: Scenario
    preview: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """Sites added, removed and edited."""
        got = self.preview["change"].value_counts()
        return {k: int(got.get(k, 0)) for k in ("added", "removed", "edited")}


def council_sites_update(region: Region, scenario: Scenario, sites: pd.DataFrame, council_code: str,
                         mode: str = "replace", trajectories: pd.DataFrame | None = None,
                         file: str = "") -> SitesUpdate:
    """Express a council's sites file as changes to ``scenario``.

    Parameters
    ----------
    region : Region
        The base region (never changed).
    scenario : Scenario
        The current scenario; the file is compared with its sites (the region with it applied).
    sites : GeoDataFrame
        The file's sites as :func:`placeplan.io.tables.read_sites` reads them and the
        upload check passes them (values checked against the sites schema there; this
        function judges only what the file changes), point geometry in EPSG:27700, in the
        file's row order.
    council_code : str
        The council the file is for: every row must be that council's.
    mode : {"replace", "merge"}
    trajectories : DataFrame, optional
        The file's explicit trajectories (``site_id``, ``academic_year``, ``dwellings``).
    file : str
        The file's name as the user knows it (problems name it and its rows, row 2 being the
        first under the header).

    Returns
    -------
    SitesUpdate

    Raises
    ------
    ValidationError
        A row for another council, an id that is another council's site, or a change the
        region refuses (naming the file, row and column).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    now_region, _ = apply_scenario(region, scenario)
    now = now_region.sites.set_index(now_region.sites["site_id"].astype(str))
    names = dict(zip(region.councils["council_code"].astype(str), region.councils["council"].astype(str)))
    rows = sites.reset_index(drop=True)
    ids = rows["site_id"].astype(str).str.strip()
    _refuse_other_councils(rows, ids, now, council_code, names, file)

    notes: list[str] = []
    values = _file_values(rows, ids, trajectories, notes)
    if "notes" in rows and rows["notes"].notna().any():
        notes.append("The notes column is not kept: the forecast does not use it.")
    mine = now.index[now["council_code"].astype(str).to_numpy() == str(council_code)]
    known = ids.isin(now.index).to_numpy()
    blank = [f for f in _FIELDS if f in rows and f in now  # blank in the file where the site has a value
             and (rows.loc[known, f].isna().to_numpy() & now.loc[ids[known], f].notna().to_numpy()).any()]
    if blank:
        notes.append("Blank cells leave a site's value as it is (columns with blanks: " + ", ".join(blank) + ").")
    diffs = _differences(values.loc[known], now.loc[ids[known]])
    moved = _moved(values.loc[known], now.geometry.loc[ids[known]])
    removed = sorted(set(mine) - set(ids)) if mode == "replace" else []
    diffs |= {sid: {} for sid in moved if sid not in diffs}  # moved, its fields as they were

    added_by_scenario = {str(a["site_id"]): dict(a) for a in scenario.add_sites}
    new_ids = ids[~known].tolist()
    add = dict(added_by_scenario)
    remove, edit = list(scenario.remove_sites), {k: dict(v) for k, v in scenario.edit_sites.items()}
    base = region.sites.set_index(region.sites["site_id"].astype(str))
    for sid in removed:
        if add.pop(sid, None) is None:
            remove.append(sid)
            edit.pop(sid, None)
    for sid in new_ids:
        add[sid] = _new_site(sid, values.loc[sid], council_code)
    for sid, change in diffs.items():
        if sid in added_by_scenario:  # every field the file gives (a default, e.g. the build rate, follows others)
            entry = add[sid] | {k: v for k, v in _new_site(sid, values.loc[sid], council_code).items()
                                if k not in ("easting", "northing")}
            if sid in moved:
                entry = {k: v for k, v in entry.items() if not k.endswith("planning_area") and k != "planning_area_code"}
                entry |= _where(values.loc[sid])
            add[sid] = entry
        elif sid in moved:
            remove.append(sid)
            edit.pop(sid, None)
            kept = {f: _plain(v) for f, v in now.loc[sid].reindex(list(_FIELDS)).items()}
            add[sid] = _new_site(sid, kept | change | _where(values.loc[sid]), council_code)
        else:
            entry = edit.get(sid, {})
            if "first_year" in change:
                entry.pop("delay_years", None)
            entry |= change
            entry = {k: v for k, v in entry.items()
                     if k == "delay_years" or k not in base or not _same(v, base.loc[sid, k])}
            if entry:
                edit[sid] = entry
            else:
                edit.pop(sid, None)
    candidate = dataclasses.replace(scenario, add_sites=list(add.values()), remove_sites=remove, edit_sites=edit)
    try:
        Scenario.from_dict(candidate.to_dict(), file)
        after, _ = apply_scenario(region, candidate)
    except ValidationError as exc:
        raise ValidationError([dataclasses.replace(p, file=file, layer="sites") for p in exc.problems]) from None
    moved_words = {sid: f"moved {moved[sid] / 1000:,.1f} km (removed and added again at the file's location)"
                   for sid in moved}
    preview = _preview(now_region, after, names, new_ids, removed, diffs, moved_words)
    return SitesUpdate(candidate if candidate != scenario else scenario, preview, tuple(notes))


def area_peaks_changed(before: pd.DataFrame, after: pd.DataFrame, at_least: float = 0.5) -> pd.DataFrame:
    """The planning areas whose peak places needed changes from one forecast to another.

    Parameters
    ----------
    before, after : DataFrame
        ``Results.shortfall`` of the two forecasts (one region).
    at_least : float
        Changes smaller than this (places) are left out.

    Returns
    -------
    DataFrame
        ``council``, ``planning_area``, ``planning_area_code``, ``phase``,
        ``peak_places_needed_before``, ``peak_places_needed_after`` and ``peak_places_needed_change``;
        largest changes first.

    Notes
    -----
    The peak is each area's largest places needed over the forecast years, the measure
    summed per council by :func:`~placeplan.model.comparison.shortfall_effect` (DfE SCAP).
    """
    key = ["council", "planning_area", "planning_area_code", "phase"]
    peaks = [f.groupby(key, sort=False)["places_needed"].max() for f in (before, after)]
    out = pd.concat(peaks, axis=1, keys=["peak_places_needed_before", "peak_places_needed_after"]).fillna(0.0)
    out["peak_places_needed_change"] = out["peak_places_needed_after"] - out["peak_places_needed_before"]
    out = out[out["peak_places_needed_change"].abs() >= at_least].reset_index()
    return out.sort_values("peak_places_needed_change", key=np.abs, ascending=False, ignore_index=True)


def _refuse_other_councils(rows, ids, now, council_code, names, file) -> None:
    """Rows for another council, ids that are another council's sites, and ids given twice: refused."""
    council = names.get(str(council_code), str(council_code))
    codes = rows["council_code"].astype(str).str.strip().to_numpy()
    problems = [Problem(file, "sites", int(r) + 2, "council_code",
                        f"this row is for {names.get(codes[r], codes[r])}, but the file is loaded as {council}'s "
                        f"sites: load each council's sites as that council")
                for r in np.flatnonzero(codes != str(council_code))[:20]]
    owner = now["council_code"].astype(str).reindex(ids).to_numpy()
    taken = np.flatnonzero(pd.notna(owner) & (owner != str(council_code)))
    problems += [Problem(file, "sites", int(r) + 2, "site_id",
                         f"site id {ids[r]!r} is already a site of {names.get(owner[r], owner[r])}: give {council}'s "
                         f"site another id")
                 for r in taken[:20]]
    twice = np.flatnonzero(ids.duplicated().to_numpy())
    problems += [Problem(file, "sites", int(r) + 2, "site_id", f"site id {ids[r]!r} appears twice in the file: "
                                                              f"give each site its own id")
                 for r in twice[:20]]
    if problems:
        raise ValidationError(problems)


def _file_values(rows, ids, trajectories, notes) -> pd.DataFrame:
    """The file's values of the compared fields, by site id (a trajectory as its average rate)."""
    out = pd.DataFrame({f: rows[f] if f in rows else np.nan for f in _FIELDS})
    out.index = ids.to_numpy()
    out["easting"], out["northing"] = rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy()
    if trajectories is not None and len(trajectories):
        t = trajectories[trajectories["dwellings"] > 0].assign(site_id=lambda d: d["site_id"].astype(str))
        g = t.groupby("site_id")["academic_year"]
        first, last = g.min().astype(int), g.max().astype(int)
        total = t.groupby("site_id")["dwellings"].sum()
        rate = total / (last - first + 1)
        for sid in first.index.intersection(out.index):
            start, end = int(first[sid]), int(last[sid])
            out.loc[sid, ["first_year", "build_rate"]] = [start, float(rate[sid])]
            notes.append(f"{out.loc[sid, 'site']}: a scenario cannot hold an explicit trajectory, so its "
                         f"{value_in_words('', float(total[sid]))} dwellings from "
                         f"{value_in_words('first_year', start)} to {value_in_words('first_year', end)} "
                         f"are built at their average, {value_in_words('', float(rate[sid]))} a year, from "
                         f"{value_in_words('first_year', start)}.")
    return out


def _plain(v):
    """A cell as a plain Python value (None when blank), as a scenario document holds it."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _same(a, b) -> bool:
    a, b = _plain(a), _plain(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-9
    return str(a).strip() == str(b).strip()


def _differences(values: pd.DataFrame, now: pd.DataFrame) -> dict[str, dict]:
    """site id -> {field: file value} where the file gives a value that differs from now."""
    out: dict[str, dict] = {}
    for f in _FIELDS:
        new = values[f].to_numpy(dtype=object)
        old = now[f].to_numpy(dtype=object) if f in now else np.full(len(now), None)
        for sid, a, b in zip(values.index, new, old):
            if _plain(a) is not None and not _same(a, b):
                out.setdefault(sid, {})[f] = SITE_FIELDS[f](_plain(a))
    return out


def _moved(values: pd.DataFrame, now_points) -> dict[str, float]:
    """site id -> metres moved, for sites the file puts elsewhere."""
    d = np.hypot(values["easting"].to_numpy(dtype=float) - now_points.x.to_numpy(),
                 values["northing"].to_numpy(dtype=float) - now_points.y.to_numpy())
    return {str(sid): float(m) for sid, m in zip(now_points.index, d) if m >= MOVED_M}


def _where(v) -> dict:
    return {"easting": float(v["easting"]), "northing": float(v["northing"])}


def _new_site(sid: str, v, council_code: str) -> dict:
    """A new site's entry for ``add_sites``: the given fields and its location."""
    site = {"site_id": str(sid)}
    for f in _FIELDS:
        if _plain(v.get(f)) is not None:
            site[f] = SITE_FIELDS[f](_plain(v[f]))
    site["council_code"] = str(council_code)
    return site | _where(v)


def _areas(region: Region) -> pd.DataFrame:
    """Site id -> the primary and secondary planning area (names) holding most of it."""
    names = dict(zip(region.planning_areas["planning_area_code"].astype(str),
                     region.planning_areas["planning_area"].astype(str)))
    sa = region.site_areas.sort_values("share", ascending=False).drop_duplicates(["id", "phase"])
    wide = sa.assign(name=sa["planning_area_code"].astype(str).map(names)).pivot(index="id", columns="phase",
                                                                                 values="name")
    return wide.reindex(columns=["primary", "secondary"]).rename(columns=lambda p: f"{p}_planning_area")


def _preview(before: Region, after: Region, names, added, removed, diffs, moved_words) -> pd.DataFrame:
    was = before.sites.set_index(before.sites["site_id"].astype(str))
    rows = []
    for sid in added:
        rows.append(("added", sid, "new site"))
    for sid in removed:
        rows.append(("removed", sid, "removed (not in the file)"))
    for sid, change in diffs.items():
        words = [f"{_WORDS[f]} {_words(f, was.loc[sid, f] if f in was else None)} → {_words(f, v)}"
                 for f, v in change.items()]
        rows.append(("edited", sid, "; ".join([*words, *([moved_words[sid]] if sid in moved_words else [])])))
    out = pd.DataFrame(rows, columns=["change", "site_id", "what_changes"])
    now = after.sites.set_index(after.sites["site_id"].astype(str))
    ids, gone = out["site_id"], (out["change"] == "removed").to_numpy()
    areas_now, areas_was = _areas(after).reindex(ids), _areas(before).reindex(ids)

    def pick(new: pd.Series, old: pd.Series) -> np.ndarray:
        return np.where(gone, old.to_numpy(dtype=object), new.to_numpy(dtype=object))

    out["site"] = pick(now["site"].reindex(ids), was["site"].reindex(ids))
    out["council"] = pd.Series(pick(now["council_code"].reindex(ids), was["council_code"].reindex(ids))).astype(str).map(names).to_numpy()
    for col in ("primary_planning_area", "secondary_planning_area"):
        out[col] = pick(areas_now[col], areas_was[col])
    added_words = [f"new: {_words('dwellings', now.loc[s, 'dwellings'])} dwellings from "
                   f"{_words('first_year', now.loc[s, 'first_year'])} at {_words('build_rate', now.loc[s, 'build_rate'])}"
                   f" a year" for s in out.loc[out["change"] == "added", "site_id"]]
    out.loc[out["change"] == "added", "what_changes"] = added_words
    return out[PREVIEW_COLUMNS].reset_index(drop=True)


def _words(field: str, value) -> str:
    value = _plain(value)
    if field.startswith("share") or field == "affordable_share":
        return "not set" if value is None else f"{float(value):.0%}"
    return value_in_words(field, value)
