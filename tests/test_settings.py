"""Settings check themselves against one table; the CLI, scenarios and docs are made from it."""

import argparse
import json

import numpy as np
import pytest

import placeplan as pp
from placeplan.cli import build_parser
from placeplan.model.region import Assumptions
from placeplan.model.settings import SETTINGS, check_settings, defaults, markdown_table, setting
from placeplan.testing import tiny_region


def test_the_table_is_the_assumptions():
    a = Assumptions()
    assert list(SETTINGS) == list(a.to_dict())
    assert a.to_dict() == defaults()
    s = setting("headroom")
    assert (s.kind, s.min, s.max, s.default, s.step) == ("float", 0.0, 0.5, 0.02, 0.005)
    assert s.label and s.help and s.unit
    assert setting("baseline_method").choices == ("population", "cohort_survival", "none")
    with pytest.raises(KeyError, match="no setting 'colour'"):
        setting("colour")


@pytest.mark.parametrize("name, value, words", [
    ("headroom", -0.5, "-0.5 is not allowed: at least 0 and at most 0.5"),
    ("headroom", float("nan"), "nan is not allowed"),
    ("headroom", "0.02", "'0.02' is not allowed"),
    ("headroom", True, "true is not allowed"),
    ("horizon", 2.5, "2.5 is not allowed: a whole number, at least 1 and at most 50"),
    ("horizon", 0, "0 is not allowed"),
    ("ratio_years", 10**9, "1000000000 is not allowed"),
    ("migration_damping", 1.5, "at most 1"),
    ("delay_years", 1e30, "is not allowed: a whole number"),
    ("build_rate_multiplier", float("inf"), "inf is not allowed"),
    ("baseline_method", "magic", "'magic' is not allowed: one of population, cohort_survival, none"),
    ("ratio_method", "average", "one of mean, weighted, geometric, median, last"),
    ("births", "rising", "one of held, trend"),
    ("yield_basis", "colour", "one of all, type, tenure, bedrooms"),
    ("netting", "yes", "'yes' is not allowed: true or false"),
    ("yield_multipliers", {"tertiary": 2.0}, "unknown phase 'tertiary'"),
    ("yield_multipliers", {"primary": -1}, "primary: value -1 is not allowed"),
    ("yield_multipliers", [1, 2], "is not allowed: an object"),
    ("price_base", 2024, "2024 is not allowed: text"),
    ("contribution_threshold", -1, "at least 0"),
    ("cost_lead_years", 11, "at most 10"),
])
def test_a_bad_setting_is_refused_with_a_located_message(name, value, words):
    with pytest.raises(pp.ValidationError) as exc:
        Assumptions(**{name: value})
    (problem,) = exc.value.problems
    assert problem.column == name and problem.layer == "assumptions"
    assert words in problem.message


def test_every_default_and_bound_is_allowed():
    for s in SETTINGS.values():
        assert s.problem(s.default) is None, s.name
        for bound in (s.min, s.max):
            if bound is not None and s.kind in ("int", "float"):
                assert s.problem(int(bound) if s.kind == "int" else bound) is None, (s.name, bound)


def test_numpy_values_become_plain_python():
    a = Assumptions(horizon=np.int64(5), headroom=np.float64(0.05), netting=np.bool_(True))
    assert type(a.horizon) is int and type(a.headroom) is float and a.netting is True
    assert json.loads(a.to_json())["horizon"] == 5


def test_region_assumptions_and_replace_are_checked():
    region = tiny_region()
    with pytest.raises(pp.ValidationError, match="column headroom: value -0.5 is not allowed"):
        region.assumptions(headroom=-0.5)
    with pytest.raises(pp.ValidationError, match="column colour: unknown setting"):
        region.assumptions(colour=1)
    with pytest.raises(pp.ValidationError, match="column headroom"):
        region.assumptions().replace(headroom=2)
    with pytest.raises(pp.ValidationError, match="unknown setting"):
        region.assumptions().replace(colour=2)


def test_a_bad_stored_assumption_is_located_in_meta():
    import pandas as pd

    meta = pd.DataFrame([{"key": "base_year", "value": "2015"}, {"key": "assumption.headroom", "value": "-1"}])
    region = tiny_region(meta=meta)
    with pytest.raises(pp.ValidationError) as exc:
        region.assumptions()
    (p,) = exc.value.problems
    assert (p.file, p.layer, p.column) == ("tiny", "meta", "assumption.headroom")


def test_check_settings_prefixes_names():
    (p,) = check_settings({"headroom": 2}, "s.json", "scenario", "assumptions.")
    assert (p.file, p.layer, p.column) == ("s.json", "scenario", "assumptions.headroom")


def _forecast_flags() -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in sub.choices["forecast"]._actions}


def test_cli_flags_come_from_the_table():
    flags = _forecast_flags()
    for s in SETTINGS.values():
        action = flags[s.name]
        assert s.label in action.help and s.allowed().replace("%", "%%") in action.help
        if s.choices:
            assert tuple(action.choices) == s.choices
        elif s.kind in ("int", "float"):
            assert action.type is {"int": int, "float": float}[s.kind]
    assert "--baseline" in flags["baseline_method"].option_strings


def test_method_doc_settings_table_is_current():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "method.md").read_text()
    assert f"<!-- BEGIN GENERATED: settings -->\n{markdown_table()}\n<!-- END GENERATED: settings -->" in text, \
        "run scripts/gen_docs.py"


def test_forecast_keeps_the_scenario_assumptions_and_applies_overrides_on_top():
    region = tiny_region()
    scenario = pp.Scenario(name="late", assumptions={"delay_years": 10, "headroom": 0.05})
    res = pp.forecast(region, scenario, headroom=0.1)
    prov = dict(zip(res.provenance["key"], res.provenance["value"]))
    assert json.loads(prov["assumption.delay_years"]) == 10  # the scenario's own, kept
    assert json.loads(prov["assumption.headroom"]) == 0.1  # the override on top
    assert prov["scenario"] == scenario.label()
    assert res.shortfall["housing_pupils"].sum() == 0  # delayed past the horizon
    with pytest.raises(pp.ValidationError, match="column headroom: value -0.5 is not allowed"):
        pp.forecast(region, scenario, headroom=-0.5)
    with pytest.raises(pp.ValidationError, match="unknown setting"):
        pp.forecast(region, colour=1)


def test_forecast_assumptions_keyword_still_replaces_them():
    region = tiny_region()
    scenario = pp.Scenario(assumptions={"delay_years": 10})
    res = pp.forecast(region, scenario, assumptions=region.assumptions(headroom=0.04))
    prov = dict(zip(res.provenance["key"], res.provenance["value"]))
    assert json.loads(prov["assumption.delay_years"]) == 0 and json.loads(prov["assumption.headroom"]) == 0.04
