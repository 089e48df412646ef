"""Contributions per site in the shape of the planning data platform's developer contributions.

The platform (planning.data.gov.uk, collection ``developer-contributions``) holds
``developer-agreement`` (the S106 agreement), ``developer-agreement-contribution`` (what
it secures) and ``developer-agreement-transaction`` (money received and spent).  Fields of
``developer-agreement-contribution`` (digital-land/specification,
content/dataset/developer-agreement-contribution.md): amount, contribution-purpose,
developer-agreement, developer-agreement-contribution, end-date, entity, entry-date, name,
notes, organisation, prefix, reference, start-date, units.  ``entity`` and ``prefix`` are
assigned by the platform; ``units`` counts homes (an integer) and is left empty for money.
Purpose ``education`` is from the platform's ``contribution-purpose`` list.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.io.tables import export_tables

__all__ = ["FIELDS", "developer_contributions", "write_developer_contributions"]

#: Columns written, in the platform's field names.
FIELDS: tuple[str, ...] = (
    "reference", "name", "developer-agreement", "contribution-purpose", "amount", "units",
    "organisation", "notes", "entry-date", "start-date", "end-date",
)
REQUIRED = ("site_id", "phase", "receiving_council_code", "contribution")


def _slug(text: pd.Series) -> pd.Series:
    return text.astype(str).map(lambda s: re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-"))


def developer_contributions(
    contributions: pd.DataFrame,
    entry_date: str,
    organisations: dict[str, str] | None = None,
    note: str = "expected contribution forecast by placeplan; not yet secured",
) -> pd.DataFrame:
    """One row per site, phase and receiving council that pays, in the platform's fields.

    Parameters
    ----------
    contributions : DataFrame
        Long table: ``site_id, phase, receiving_council_code, contribution`` and optionally
        ``site`` (name) and ``receiving_council`` (name)
        (:func:`placeplan.model.contributions.long_table`).
    entry_date : str
        ISO date the rows are entered (also the start date: the forecast's date).
    organisations : dict, optional
        Council code -> the platform's organisation reference (e.g. ``local-authority:MIK``);
        the council code is used where none is given.
    note : str
        Written in ``notes`` with the phase and receiving council.

    Returns
    -------
    DataFrame with columns :data:`FIELDS`; ``amount`` in pounds to the penny; rows with no
    money are left out.
    """
    missing = [c for c in REQUIRED if c not in contributions]
    if missing:
        raise ValidationError([Problem("", "contributions", None, c, "column missing") for c in missing])
    c = contributions[contributions["contribution"].astype(float) > 0].reset_index(drop=True)
    orgs = organisations or {}
    code = c["receiving_council_code"].astype(str)
    phase = c["phase"].astype(str)
    site = c["site"].astype(str) if "site" in c else c["site_id"].astype(str)
    council = c["receiving_council"].astype(str) if "receiving_council" in c else code
    return pd.DataFrame({
        "reference": _slug(c["site_id"].astype(str) + "-education-" + phase + "-" + code),
        "name": site + ": education (" + phase.str.replace("_", " ") + ")",
        "developer-agreement": _slug(c["site_id"].astype(str)),
        "contribution-purpose": "education",
        "amount": np.round(c["contribution"].to_numpy(dtype=float), 2),
        "units": "",
        "organisation": code.map(lambda k: orgs.get(k, k)),
        "notes": note + "; " + phase.str.replace("_", " ") + " places in schools of " + council,
        "entry-date": entry_date,
        "start-date": entry_date,
        "end-date": "",
    }, columns=list(FIELDS))


def write_developer_contributions(frame: pd.DataFrame, path: str | os.PathLike,
                                  provenance: pd.DataFrame | None = None) -> Path:
    """Write :func:`developer_contributions` as CSV (atomically), provenance in a sidecar
    ``<name>.provenance.csv`` as the other CSV exports do."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ValidationError([Problem(str(path.name), "", None, None, "the planning data export is CSV: use .csv")])
    export_tables({"developer-agreement-contribution": frame}, path)
    if provenance is not None:
        export_tables({"provenance": provenance}, path.with_suffix(".provenance.csv"))
    return path
