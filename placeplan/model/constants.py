"""Fixed vocabulary of the domain: phases, national curriculum years, ages.

National curriculum years (NCY) are indexed 0..13: 0 is Reception (R), 1..13 are Y1..Y13.
"""

from __future__ import annotations

import numpy as np

#: a site may lie this far outside every planning area of its region (further is a wrong
#: coordinate); a postcode too (:func:`placeplan.model.postcodes.place_postcode`)
MAX_SITE_DISTANCE_M = 5_000.0

NCY_LABELS: tuple[str, ...] = ("R",) + tuple(f"Y{i}" for i in range(1, 14))
N_NCY = len(NCY_LABELS)

#: Phases the model forecasts pupils for.  ``primary`` is R-Y6, ``secondary`` Y7-Y11,
#: ``sixth_form`` Y12-Y13; ``early_years`` and ``send`` have no NCY.
PHASES: tuple[str, ...] = ("early_years", "primary", "secondary", "sixth_form", "send")
SCHOOL_PHASES: tuple[str, ...] = ("primary", "secondary", "sixth_form")
#: Planning-area phases: a secondary planning area holds Y7-Y13 (SCAP capacity counts sixth forms).
AREA_PHASES: tuple[str, ...] = ("primary", "secondary")

#: NCY index range [start, stop) of each school phase.
PHASE_NCY: dict[str, tuple[int, int]] = {
    "primary": (0, 7),
    "secondary": (7, 12),
    "sixth_form": (12, 14),
}
#: Which planning-area phase holds each pupil phase (early years are placed with primary).
AREA_PHASE_OF: dict[str, str] = {
    "early_years": "primary",
    "primary": "primary",
    "secondary": "secondary",
    "sixth_form": "secondary",
    "send": "primary",
}

#: Age at the mid-year nearest the May census of academic year y/y+1 (mid-year y+1) of
#: a pupil in NCY n is n + 5: Reception children are 4 on 31 August, 5 by the census.
AGE_OFFSET = 5
MAX_AGE = 18
AGES = np.arange(MAX_AGE + 1)

#: Places in one form of entry (30 pupils a year group): DfE.
PLACES_PER_FE: dict[str, int] = {"primary": 210, "secondary": 150}

NCY_PHASE = np.array(
    ["primary"] * 7 + ["secondary"] * 5 + ["sixth_form"] * 2, dtype=object
)
#: NCY index -> area phase index (0 primary, 1 secondary).
NCY_AREA_PHASE = np.array([0] * 7 + [1] * 7)


def academic_year_label(start_year: int) -> str:
    """Return the label of the academic year starting in September ``start_year``.

    >>> academic_year_label(2024)
    '2024/25'
    """
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def parse_academic_year(value: object) -> int:
    """Return the start year of an academic year given as ``2024``, ``"2024"`` or ``"2024/25"``.

    Raises
    ------
    ValueError
        If the value is not an academic year.
    """
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if "/" in text or "-" in text:
        sep = "/" if "/" in text else "-"
        head, tail = text.split(sep, 1)
        start = int(head)
        end = int(tail)
        if end % 100 != (start + 1) % 100:
            raise ValueError(f"{text!r} is not an academic year like 2024/25")
        return start
    return int(text)
