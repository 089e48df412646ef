"""What kind of figure a result column holds, and how a spreadsheet shows it.

One classification of columns by name (:func:`column_kind`) read by the XLSX exports
(number formats) and the app's tables (:mod:`placeplan.app.display`), so a column is
money, a count, a yield or a share in both.
"""

from __future__ import annotations

import re

__all__ = ["XLSX_FORMATS", "column_kind"]

_MONEY = re.compile(r"^(cost|contributions?|basic_need|other_funding|funding_gap|cumulative_funding_gap|unfunded_cost|"
                    r"cost_per_place)(_|$)|^contribution_|_(cost|funding_gap|contributions|basic_need)(_|$)")
_YIELD = re.compile(r"^yield_|pupils_per_dwelling|multiplier")
_SHARE = re.compile(r"^probability|^share|headroom$")
_FE = re.compile(r"forms_of_entry")

#: Number format of each kind in a spreadsheet.
XLSX_FORMATS = {"money": '"£"#,##0;-"£"#,##0', "yield": "0.000", "share": "0%", "fe": "#,##0.0", "count": "#,##0"}


def column_kind(column: str) -> str:
    """``"money"``, ``"yield"`` (pupils per dwelling, 3 d.p.), ``"share"`` (a probability
    or a proportion, shown as %), ``"fe"`` (forms of entry, 1 d.p.) or ``"count"`` (pupils,
    places, dwellings: whole, with thousands separators), from the column's name.

    >>> column_kind("funding_gap_p90"), column_kind("yield_primary"), column_kind("probability_short")
    ('money', 'yield', 'share')
    """
    if _MONEY.search(column):
        return "money"
    if _YIELD.search(column):
        return "yield"
    if _SHARE.search(column):
        return "share"
    if _FE.search(column):
        return "fe"
    return "count"
