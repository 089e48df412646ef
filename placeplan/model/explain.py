"""Show the calculation: the parts a figure is made of, which add up to it.

Three figures a developer's consultant or an inspector asks about:

- :func:`explain_area` -- places needed in one planning area and academic year:
  baseline pupils by NCY, housing pupils by the site they come from (where they live),
  pupils moving in from and out to other planning areas, the operating margin (headroom)
  and capacity with each change in force. ``places needed = max(0, sum of the parts)``.
- :func:`explain_site` -- a site's contribution: the contribution sought per phase (and
  per receiving area or council, where the table carries one).
- :func:`explain_council` -- a council's funding gap: cost of places less contributions,
  Basic Need and other funding.

Each returns an :class:`Explanation` whose ``parts`` add up to ``total``; the figure
itself is ``value`` (for places needed, ``total`` floored at zero). The site and council
explanations read the columns of the :class:`~placeplan.model.results.Results` tables
generically (every ``contribution_*`` column; every money column of the funding gap
table), so they follow those tables as they change.

Notes
-----
Housing pupils by site, before and after flows: with ``W`` a site's share in each area of
residence and ``F`` the flow matrix (``F[i, j]`` the share of pupils living in i taught in
j, :func:`~placeplan.model.flows.flow_matrix`), the pupils taught in area j are
``sum_i F[i, j] r_i`` where ``r_i = sum_s W[s, i] p_s``. Writing ``F[j, j] = 1 - out_j``
gives ``r_j + sum_{i != j} F[i, j] r_i - out_j r_j``: residents (by site), flows in,
flows out -- exactly the housing pupils of the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.capacity import base_capacity
from placeplan.model.constants import NCY_LABELS, academic_year_label, parse_academic_year
from placeplan.model.flows import flows_operator
from placeplan.model.geography import area_pupils, school_phases, site_weights

if TYPE_CHECKING:
    from placeplan.model.region import Assumptions, Region
    from placeplan.model.results import ForecastArrays, Results

__all__ = ["Explanation", "explain_area", "explain_site", "explain_council", "PART_COLUMNS"]

#: Columns of :attr:`Explanation.parts`.
PART_COLUMNS = ("step", "item", "value")


@dataclass(frozen=True)
class Explanation:
    """A figure and the parts it is calculated from.

    Attributes
    ----------
    figure : str
        What the figure is, in words (``"Places needed, Bedford North primary, 2027/28"``).
    value : float
        The figure.
    parts : DataFrame
        ``step`` (the step of the calculation), ``item`` (an NCY, a site, a change, a
        phase) and ``value``, signed so that the values add up to ``total``.
    total : float
        ``parts["value"].sum()``.
    rule : str
        How ``value`` follows from ``total``, in words.
    unit : str
        ``"pupils"``/``"places"`` or ``"£"``.
    """

    figure: str
    value: float
    parts: pd.DataFrame
    total: float
    rule: str
    unit: str

    def steps(self) -> pd.DataFrame:
        """The parts summed per step, in the order of the calculation."""
        order = pd.unique(self.parts["step"])
        return self.parts.groupby("step", sort=False)["value"].sum().reindex(order).reset_index()

    def to_frame(self) -> pd.DataFrame:
        """The parts, then a ``total`` and a figure row (for a sheet or a CSV)."""
        tail = pd.DataFrame([{"step": "total of the parts", "item": "", "value": self.total},
                             {"step": self.figure, "item": self.rule, "value": self.value}])
        return pd.concat([self.parts, tail], ignore_index=True)

    def __str__(self) -> str:
        lines = [f"{self.figure}: {self.value:,.1f} {self.unit}".rstrip(), f"  ({self.rule})"]
        for row in self.steps().itertuples(index=False):
            lines.append(f"  {row.step:<40} {row.value:>16,.1f}")
            items = self.parts[self.parts["step"] == row.step]
            if len(items) > 1:
                for it in items[items["value"] != 0].itertuples(index=False):
                    lines.append(f"      {str(it.item)[:36]:<36} {it.value:>16,.1f}")
        lines.append(f"  {'total of the parts':<40} {self.total:>16,.1f}")
        return "\n".join(lines)


def _parts(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(PART_COLUMNS)).astype({"value": float})


def _area_position(idx, planning_area: str) -> int:
    codes = idx.areas.to_numpy(dtype=object)
    hit = np.flatnonzero((codes == planning_area) | (idx.area_names == planning_area))
    if not len(hit):
        raise KeyError(f"no planning area {planning_area!r} (give its code or its name)")
    return int(hit[0])


def _year_position(idx, year) -> int:
    start = parse_academic_year(year)
    hit = np.flatnonzero(idx.years == start)
    if not len(hit):
        first, last = academic_year_label(int(idx.years[0])), academic_year_label(int(idx.years[-1]))
        raise KeyError(f"academic year {year!r} is outside the forecast ({first} to {last})")
    return int(hit[0])


def explain_area(region: Region, a: Assumptions, x: ForecastArrays, planning_area: str, year) -> Explanation:
    """Places needed in one planning area and academic year, and the parts that make it.

    Parameters
    ----------
    region, a : Region, Assumptions
        Those the forecast ``x`` was made with.
    x : ForecastArrays
        :func:`~placeplan.model.forecast.forecast_arrays` of ``region`` and ``a``.
    planning_area : str
        Code or name.
    year : int or str
        Academic year, ``2027`` or ``"2027/28"``.

    Returns
    -------
    Explanation
        Steps ``baseline pupils`` (by NCY), ``housing pupils living here`` (by site),
        ``housing pupils moving in`` (by area they live in), ``housing pupils moving out``,
        ``operating margin (headroom)``, ``capacity`` (base, then each change in force, all
        negative). ``value = max(0, total)`` equals ``Results.shortfall.places_needed``.
    """
    idx = x.idx
    j, t = _area_position(idx, planning_area), _year_position(idx, year)
    rows: list[tuple[str, str, float]] = []
    for g in np.flatnonzero(idx.grade_mask[j]):
        rows.append(("baseline pupils", f"NCY {NCY_LABELS[g]}", float(x.baseline[j, t, g])))
    # housing pupils of each site living here (before flows), this year
    weights = site_weights(region, idx.areas)
    phase = idx.area_phase[j]
    w = weights[phase].tocsc()[:, j].toarray().ravel()
    live_sites = np.flatnonzero(w)
    own = x.pupils[live_sites][:, school_phases()[phase], t].sum(axis=1) * w[live_sites]
    names = region.sites["site"].astype(str).to_numpy(dtype=object)
    ids = region.sites["site_id"].astype(str).to_numpy(dtype=object)
    for k, s in enumerate(live_sites):
        rows.append(("housing pupils living here", f"{names[s]} ({ids[s]})", float(own[k])))
    pupils_t = x.pupils[:, :, t:t + 1]
    resident = area_pupils(pupils_t, weights)[:, 0, :].sum(axis=1)  # (A,)
    f = flows_operator(region, idx.areas).tocsc()
    col = f[:, j].toarray().ravel()
    for i in np.flatnonzero(col):
        if i != j and resident[i] * col[i] != 0:
            rows.append(("housing pupils moving in", f"from {idx.area_names[i]}", float(resident[i] * col[i])))
    out_share = 1.0 - col[j]
    if resident[j] * out_share != 0:
        rows.append(("housing pupils moving out", "to other planning areas", float(-resident[j] * out_share)))
    pupils = float(x.shortfall.pupils[j, t])
    rows.append(("operating margin (headroom)", f"{a.headroom:.1%} of {pupils:,.1f} pupils", float(x.shortfall.headroom_places[j, t])))
    base = float(base_capacity(region.schools, idx.areas)[j])
    rows.append(("capacity", "places in the base year", -base))
    ch = region.capacity_changes
    if len(ch):
        mine = ch[(ch["planning_area_code"].astype(str) == idx.areas[j]) & (ch["phase"].astype(str) == phase)
                  & (ch["academic_year"].astype(int) <= int(idx.years[t]))]
        for r in mine.itertuples(index=False):
            rows.append(("capacity", f"change from {academic_year_label(int(r.academic_year))}", -float(r.places)))
    parts = _parts(rows)
    total = float(parts["value"].sum())
    return Explanation(
        figure=f"Places needed, {idx.area_names[j]} ({idx.areas[j]}, {phase}), {academic_year_label(int(idx.years[t]))}",
        value=float(x.shortfall.places_needed[j, t]), parts=parts, total=total,
        rule="places needed = max(0, pupils + operating margin - capacity)", unit="places")


def _pick(table: pd.DataFrame, key: str, code_col: str, name_col: str, what: str) -> pd.DataFrame:
    hit = table[(table[code_col].astype(str) == str(key)) | (table[name_col].astype(str) == str(key))]
    if hit.empty:
        raise KeyError(f"no {what} {key!r} (give its code or its name)")
    return hit


def explain_site(results: Results, site: str) -> Explanation:
    """A site's contribution sought, by phase (and receiving area or council where the
    ``contributions`` table has one): every ``contribution_<phase>`` column, by row.

    ``value`` is the table's ``contribution_total`` (summed over the site's rows).
    """
    table = results.contributions
    rows_ = _pick(table, site, "site_id", "site", "site")
    if {"phase", "contribution"} <= set(table.columns):  # one row per site, phase and receiving council
        long = [(f"contribution sought, {r['phase'].replace('_', ' ')}",
                 f"{r.get('places', 0):,.1f} places in {r.get('receiving_council', '')}'s schools"
                 f" (DfE formula cap £{r.get('formula_cap', 0):,.0f})", float(r["contribution"]))
                for _, r in rows_.iterrows()]
        parts = _parts(long)
        total = float(parts["value"].sum())
        return Explanation(figure=f"Contribution sought, {rows_['site'].iloc[0]} ({rows_['site_id'].iloc[0]})",
                           value=float(rows_["contribution"].sum()), parts=parts, total=total,
                           rule="contribution = sum over phases and receiving councils of the site's share of the "
                                "places housing needs x cost per place, each capped by DfE's formula", unit="£")
    phase_cols = [c for c in table.columns if c.startswith("contribution_") and c != "contribution_total"]
    receiving = [c for c in ("receiving_planning_area", "receiving_area", "planning_area", "receiving_council", "council")
                 if c in table.columns]
    rows: list[tuple[str, str, float]] = []
    for _, r in rows_.iterrows():
        where = f" to {r[receiving[0]]}" if receiving else ""
        for c in phase_cols:
            phase = c.removeprefix("contribution_").replace("_", " ")
            dw = r.get(f"yield_{c.removeprefix('contribution_')}")
            yield_txt = f", {dw:.3f} pupils per dwelling" if dw is not None and pd.notna(dw) else ""
            rows.append((f"contribution sought, {phase}", f"{r['dwellings']:,.0f} dwellings{yield_txt}{where}"
                         if "dwellings" in r else where.strip(), float(r[c])))
    parts = _parts(rows)
    total = float(parts["value"].sum())
    value = float(rows_["contribution_total"].sum()) if "contribution_total" in table.columns else total
    name = rows_["site"].iloc[0]
    return Explanation(figure=f"Contribution sought, {name} ({rows_['site_id'].iloc[0]})", value=value, parts=parts,
                       total=total, rule="contribution = sum over phases of the contribution sought", unit="£")


#: Money columns of the funding gap table and their sign in the gap.
_GAP_SIGNS = {"cost": 1.0, "contributions": -1.0, "basic_need": -1.0, "other_funding": -1.0}


def explain_council(results: Results, council: str, year=None) -> Explanation:
    """A council's funding gap over all years (or one academic year): cost of places,
    less contributions, Basic Need and other funding (every such column the table holds).

    Where the table's ``funding_gap`` is not the plain difference (a floor, a surplus
    carried), a last part ``carried or floored`` makes the parts add up to it, so
    ``value == total`` always.
    """
    table = _pick(results.funding_gap, council, "council_code", "council", "council")
    if year is not None:
        label = academic_year_label(parse_academic_year(year))
        table = table[table["academic_year"] == label]
        if table.empty:
            raise KeyError(f"academic year {year!r} is outside the forecast")
    rows: list[tuple[str, str, float]] = []
    for col, sign in _GAP_SIGNS.items():
        if col in table.columns:
            item = label if year is not None else f"sum over {len(table)} years"
            rows.append((col.replace("_", " ").replace("basic need", "Basic Need"), item,
                         sign * float(table[col].sum()) + 0.0))
    value = float(table["funding_gap"].sum())
    parts = _parts(rows)
    rest = value - float(parts["value"].sum())
    if abs(rest) > 1e-6 * max(1.0, abs(value)):
        parts = pd.concat([parts, _parts([("carried or floored", "surplus set against later years", rest)])],
                          ignore_index=True)
    name = table["council"].iloc[0]
    when = label if year is not None else "all years"
    return Explanation(figure=f"Funding gap, {name}, {when}", value=value, parts=parts,
                       total=float(parts["value"].sum()),
                       rule="funding gap = cost - contributions - Basic Need - other funding", unit="£")
