"""Contributions export in the planning data platform's developer-agreement-contribution shape."""

import pandas as pd
import pytest

from placeplan.errors import ValidationError
from placeplan.io.planning_data import (
    FIELDS,
    developer_contributions,
    write_developer_contributions,
)


def test_export_has_the_platform_fields_and_one_row_per_paying_site_phase_council(tmp_path):
    long = pd.DataFrame({"site_id": ["MK 1", "BED2", "BED3"], "phase": "primary",
                         "receiving_council_code": ["E06000055", "E06000042", "E06000042"],
                         "contribution": [1_100_000.0, 84_000.0, 0.0]})  # the forecast's contributions table
    frame = developer_contributions(long, "2026-11-30", {"E06000055": "local-authority:BDF"})
    assert tuple(frame.columns) == FIELDS
    assert frame["reference"].tolist() == ["mk-1-education-primary-e06000055", "bed2-education-primary-e06000042"]
    assert frame["amount"].tolist() == [1_100_000.0, 84_000.0]
    assert frame["organisation"].tolist() == ["local-authority:BDF", "E06000042"]
    assert set(frame["contribution-purpose"]) == {"education"}
    prov = pd.DataFrame({"key": ["placeplan_version"], "value": ["x"]})
    path = write_developer_contributions(frame, tmp_path / "contributions.csv", prov)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back.columns.tolist() == list(FIELDS) and len(back) == 2
    assert (tmp_path / "contributions.provenance.csv").exists()


def test_export_refuses_other_formats_and_missing_columns(tmp_path):
    with pytest.raises(ValidationError, match="use .csv"):
        write_developer_contributions(pd.DataFrame(columns=FIELDS), tmp_path / "x.xlsx")
    with pytest.raises(ValidationError, match="contribution"):
        developer_contributions(pd.DataFrame({"site_id": ["a"]}), "2026-11-30")
