"""Tables formatted for people: names before codes, headers in words, £ and thousands.

One header map (:data:`HEADERS`), declared once; every table the pages show goes through
:func:`for_people`. The numbers underneath stay numbers (a table still sorts by value);
only what is shown is formatted: £m (two decimals) for money columns reaching a million,
otherwise whole pounds with separators; whole pupils and places with thousands separators;
yields to three decimals (no false zeros); probabilities and shares as percentages.
"""

from __future__ import annotations

import pandas as pd

from placeplan.io.formats import column_kind

#: Column name -> header shown. Columns not listed get their name in words.
HEADERS: dict[str, str] = {
    "council": "Council",
    "council_code": "Council code",
    "planning_area": "Planning area",
    "planning_area_code": "Planning area code",
    "site": "Site",
    "site_id": "Site id",
    "phase": "Phase",
    "academic_year": "Academic year",
    "ncy": "NCY",
    "pupils_forecast": "Pupils forecast",
    "baseline_pupils": "Baseline pupils",
    "housing_pupils": "Pupils from housing",
    "capacity": "Capacity (places)",
    "headroom_places": "Operating margin (places)",
    "spare_places": "Spare places",
    "places_needed": "Places needed",
    "forms_of_entry_needed": "Forms of entry needed",
    "forms_of_entry": "Forms of entry",
    "cost": "Cost of places",
    "contributions": "Contributions received",
    "basic_need": "Basic Need grant",
    "other_funding": "Other funding",
    "funding_gap": "Funding gap",
    "cumulative_funding_gap": "Funding gap to date",
    "dwellings": "Dwellings",
    "at_or_above_threshold": "Pays a contribution",
    "contribution_total": "Contribution sought (total)",
    "unfunded_cost": "Unfunded cost",
    "min_spare_places": "Fewest spare places (any year)",
    "pupils_per_dwelling": "Pupils per dwelling",
    "dwellings_before_shortfall": "Dwellings before a shortfall",
    "dwellings_per_form_of_entry": "Dwellings per form of entry",
    "dwellings_needing_new_school": "Dwellings needing a new school",
    "probability_short": "Probability of shortfall",
    "pupils_forecast_change": "Change in pupils forecast",
    "places_needed_base": "Places needed (base)",
    "places_needed_scenario": "Places needed (scenario)",
    "places_needed_change": "Change in places needed",
    "step": "Step",
    "item": "Item",
    "value": "Value",
    "receiving_council": "Receiving council",
    "receiving_council_code": "Receiving council code",
    "formula_cap": "DfE formula cap",
    "contribution": "Contribution sought",
    "places": "Places",
    "sites": "Sites",
    "project_type": "Project",
    "housing_cost": "Cost of places for housing",
    "housing_cost_not_sought": "Housing cost not sought",
    "basic_need_used": "Basic Need used",
    "other_funding_used": "Other funding used",
    "unallocated_funding": "Unallocated funding",
    "cost_per_place": "Cost per place",
    "location_factor": "Location factor",
    "price_base": "Price base",
}

#: Columns whose values name something (names go before codes).
_NAME_FIRST = (("council", "council_code"), ("planning_area", "planning_area_code"), ("site", "site_id"),
               ("receiving_council", "receiving_council_code"))
#: Codes a person does not read by: moved to the end of a table that has their name.
_CODES_LAST = ("council_code", "planning_area_code", "receiving_council_code")


def header(column: str) -> str:
    """The header shown for ``column``: :data:`HEADERS`, else its name in words
    (``yield_primary`` -> ``Yield primary``; ``places_needed_A`` -> ``Places needed A``)."""
    if column in HEADERS:
        return HEADERS[column]
    for suffix in ("_p10", "_p50", "_p90"):
        if column.endswith(suffix):
            return f"{header(column[: -len(suffix)])} {suffix[1:].upper()}"
    for prefix, words in (("yield_", "Pupils per dwelling, "), ("contribution_", "Contribution sought, "),
                          ("pupils_", "Pupils, ")):
        if column.startswith(prefix):
            return words + column[len(prefix):].replace("_", " ").replace("send", "SEND")
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def money(value: float, millions: bool | None = None) -> str:
    """£ for people: ``£12.35m`` from a million (or when ``millions``), else ``£12,345``;
    the sign in front.

    >>> money(131665804), money(21013.5765), money(-38_000_000)
    ('£131.67m', '£21,014', '-£38.00m')
    """
    if pd.isna(value):
        return ""
    if value == 0:
        return "£0"
    sign = "-" if value < 0 else ""
    big = abs(value) >= 1e6 if millions is None else millions
    return f"{sign}£{abs(value) / 1e6:,.2f}m" if big else f"{sign}£{abs(value):,.0f}"


def column_format(column: str, values: pd.Series, extra_money: tuple[str, ...] = ()):
    """The formatter of one column (a callable or a format string), or None to leave it."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    kind = "money" if column in extra_money else column_kind(column)
    if kind == "money":
        nonzero = values[values != 0].abs()
        big = bool(nonzero.median() >= 1e6) if len(nonzero) else False
        return lambda v: money(v, big)
    if kind == "count" and _small(values):
        return _finite("{:,.1f}")
    return _finite({"yield": "{:.3f}", "share": "{:.0%}", "fe": "{:,.1f}"}.get(kind, "{:,.0f}"))


def _small(values: pd.Series) -> bool:
    """Counts mostly under 10 and not whole (0.5 SEND pupils, 2.0 places): shown to one
    decimal, so a fraction is not rounded to a false 0."""
    v = pd.to_numeric(values, errors="coerce").abs()
    v = v[(v > 0) & (v != float("inf"))]
    return bool(len(v)) and bool(v.median() < 10) and not bool((v == v.round()).all())


def _finite(pattern: str):
    """``pattern`` for finite numbers; ``no limit`` for infinity (no yield, no shortfall)."""
    return lambda v: "" if pd.isna(v) else ("no limit" if abs(v) == float("inf") else pattern.format(v))


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Names before their codes: a site's id stays after its name; council and planning-area
    codes go to the end of the table (kept for whoever matches them to other data)."""
    cols = list(frame.columns)
    for name, code in _NAME_FIRST:
        if name in cols and code in cols:
            cols.remove(code)
            if code in _CODES_LAST:
                cols.append(code)
            else:
                cols.insert(cols.index(name) + 1, code)
    return frame[cols]


def with_council_names(frame: pd.DataFrame, councils: dict[str, str] | None) -> pd.DataFrame:
    """A ``council`` name column beside ``council_code`` where the table has only the code."""
    if not councils or "council_code" not in frame.columns or "council" in frame.columns:
        return frame
    out = frame.copy()
    out.insert(list(out.columns).index("council_code"), "council", out["council_code"].astype(str).map(councils))
    return out


def for_people(frame: pd.DataFrame, money: tuple[str, ...] = (), digits: int | None = None,
               councils: dict[str, str] | None = None):
    """A Styler of ``frame`` for :func:`streamlit.dataframe`: names first (``councils`` maps
    codes to names where a table has only codes), headers in words, numbers formatted (see
    the module). ``digits`` is ignored (kept for old callers)."""
    frame = ordered(with_council_names(pd.DataFrame(frame), councils))
    formats = {header(c): f for c in frame.columns if (f := column_format(c, frame[c], tuple(money))) is not None}
    shown = frame.rename(columns=header)
    shown = shown.loc[:, ~shown.columns.duplicated()]
    return shown.style.format({k: v for k, v in formats.items() if k in shown.columns}, na_rep="")


#: The same kinds as :func:`column_format`, as printf formats the browser applies
#: (Streamlit's ``column_config``): money in whole pounds, shares as %.
BROWSER_FORMATS = {"money": "£%,.0f", "yield": "%.3f", "share": "percent", "fe": "%,.1f", "count": "%,.0f"}


def for_browser(frame: pd.DataFrame, money: tuple[str, ...] = (),
                councils: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`for_people` for a big table: the frame with names first and headers in words,
    and header -> printf format of each number column, formatted in the browser (a pandas
    Styler formats every cell on the server on every rerun, about 50 µs a cell)."""
    frame = ordered(with_council_names(pd.DataFrame(frame), councils))
    formats = {}
    for c in frame.columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            kind = "money" if c in money else column_kind(c)
            formats[header(c)] = "%,.1f" if kind == "count" and _small(values) else BROWSER_FORMATS[kind]
    shown = frame.rename(columns=header)
    return shown.loc[:, ~shown.columns.duplicated()], formats


__all__ = ["BROWSER_FORMATS", "HEADERS", "column_format", "for_browser", "for_people", "header", "money", "ordered", "with_council_names"]
