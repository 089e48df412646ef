"""The forecast's settings: one table of constraints every input is checked against.

Each setting a forecast depends on is declared once here, with its type, default, allowed
values or range, unit and the words shown to people (scikit-learn's parameter-constraint
style). :class:`~placeplan.model.region.Assumptions` checks itself against this table when
it is built; the command line's flags, the scenario document's ``assumptions``, the app's
inputs and the settings table in ``docs/method.md`` are all made from it.

>>> from placeplan.model.settings import setting
>>> s = setting("headroom")
>>> (s.min, s.max, s.default)
(0.0, 0.5, 0.02)
>>> s.problem(-0.5)
'value -0.5 is not allowed: at least 0 and at most 0.5 (share of the forecast)'
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from placeplan.errors import Problem
from placeplan.model.constants import PHASES

__all__ = ["SETTINGS", "Setting", "check_settings", "defaults", "markdown_table", "setting"]


@dataclass(frozen=True)
class Setting:
    """One setting: its constraints and the words shown to people.

    Attributes
    ----------
    name : str
        Field of :class:`~placeplan.model.region.Assumptions`.
    kind : {"int", "float", "bool", "str", "phase_multipliers"}
        ``"phase_multipliers"`` is a mapping of phase to a number in ``min``..``max``.
    default : object
    label : str
        Short label for an input.
    help : str
        One sentence for people: what it does (and the published source, if any).
    unit : str
    choices : tuple of str, optional
        The allowed values of a ``"str"`` setting.
    min, max : float, optional
        Inclusive bounds of a number (of each multiplier for ``"phase_multipliers"``).
    step : float, optional
        A sensible step for an input widget.
    nullable : bool
        ``None`` is allowed (``price_base``: keep the costs' own).
    """

    name: str
    kind: str
    default: object
    label: str
    help: str
    unit: str = ""
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    nullable: bool = False

    def allowed(self) -> str:
        """What is allowed, in words (used in messages and the docs)."""
        if self.choices:
            text = "one of " + ", ".join(self.choices)
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "str":
            text = "text"
        else:
            bounds = [f"at least {_fmt(self.min)}" if self.min is not None else "",
                      f"at most {_fmt(self.max)}" if self.max is not None else ""]
            text = " and ".join(b for b in bounds if b)
            if self.kind == "int":
                text = f"a whole number, {text}" if text else "a whole number"
            elif self.kind == "phase_multipliers":
                text = f"phase ({', '.join(PHASES)}) -> a number {text}"
        if self.nullable:
            text += " (or null)"
        return text

    def problem(self, value: object) -> str | None:
        """``None`` if ``value`` is allowed, else a message saying what was given and what is allowed."""
        if self.kind == "phase_multipliers":
            return self._multipliers_problem(value)
        if value is None and self.nullable:
            return None
        if not self._fits(value):
            unit = f" ({self.unit})" if self.unit else ""
            return f"value {_show(value)} is not allowed: {self.allowed()}{unit}"
        return None

    def _fits(self, value: object) -> bool:
        if self.kind == "bool":
            return isinstance(value, (bool, np.bool_))
        if self.kind == "str":
            return isinstance(value, str) and (not self.choices or value in self.choices) and len(value) <= 100
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            return False
        v = float(value)
        if not math.isfinite(v) or (self.kind == "int" and not isinstance(value, numbers.Integral)):
            return False
        return (self.min is None or v >= self.min) and (self.max is None or v <= self.max)

    def _multipliers_problem(self, value: object) -> str | None:
        if not isinstance(value, dict):
            return f"value {_show(value)} is not allowed: an object of {self.allowed()}"
        unknown = [k for k in value if k not in PHASES]
        if unknown:
            return f"unknown phase {_show(unknown[0])}: phases are {', '.join(PHASES)}"
        scalar = Setting(self.name, "float", 1.0, self.label, self.help, min=self.min, max=self.max)
        for phase, v in value.items():
            if not scalar._fits(v):
                return f"{phase}: value {_show(v)} is not allowed: {scalar.allowed()}"
        return None

    def markdown_row(self) -> str:
        default = "none" if self.default is None else ("{}" if self.default == {} else _show(self.default))
        default = f"`{self.default}`" if isinstance(self.default, str) else default
        return f"| `{self.name}` | {self.label} | {default} | {self.allowed()} | {self.unit or '-'} | {self.help} |"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _show(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TABLE: tuple[Setting, ...] = (
    Setting("horizon", "int", 15, "Forecast years", "Forecast years after the base academic year.",
            unit="years", min=1, max=50, step=1),
    Setting("headroom", "float", 0.02, "Headroom (operating margin)",
            "Spare places kept in each planning area as a share of the forecast (DfE Basic Need uses 2%).",
            unit="share of the forecast", min=0.0, max=0.5, step=0.005),
    Setting("baseline_method", "str", "population", "Baseline method",
            "Population-based (resident children x participation), cohort survival (grade progression from "
            "the roll history) or none (housing pupils only).",
            choices=("population", "cohort_survival", "none")),
    Setting("ratio_method", "str", "mean", "Survival-ratio average",
            "How past cohort survival ratios are averaged (cohort survival method).",
            choices=("mean", "weighted", "geometric", "median", "last")),
    Setting("ratio_years", "int", 3, "Survival-ratio years", "How many past survival ratios are averaged.",
            unit="years", min=1, max=50, step=1),
    Setting("births", "str", "held", "Births after the base year",
            "Held at the base-year age-0 population, or trended with the council's births series.",
            choices=("held", "trend")),
    Setting("migration_damping", "float", 0.5, "Migration damping",
            "Cohort change ratios are used as 1 + damping x (ratio - 1); 0 is ageing only.",
            min=0.0, max=1.0, step=0.05),
    Setting("netting", "bool", True, "Net off background building",
            "Add only completions above the building the baseline's trend already carries: migration damping x "
            "each council's background rate (population method), the whole rate (cohort survival)."),
    Setting("yield_basis", "str", "bedrooms", "Yield basis",
            "Which published split of pupil yield adjusts a site's yield to its mix.",
            choices=("all", "type", "tenure", "bedrooms")),
    Setting("yield_multipliers", "phase_multipliers", {}, "Yield multipliers",
            "Multiplier on the pupil yield of a phase (1 = the published yield).",
            unit="x", min=0.0, max=10.0, step=0.05),
    Setting("delay_years", "int", 0, "Delay all sites", "Years every site's first completion slips (negative: earlier).",
            unit="years", min=-20, max=50, step=1),
    Setting("build_rate_multiplier", "float", 1.0, "Build-rate multiplier", "Multiplier on every site's annual build rate.",
            unit="x", min=0.0, max=10.0, step=0.1),
    Setting("contribution_threshold", "int", 10, "Contribution threshold",
            "Sites with fewer dwellings pay no contribution (DfE: 10).", unit="dwellings", min=0, max=100_000, step=1),
    Setting("temporary_max_years", "int", 3, "Temporary if shorter than",
            "A need lasting fewer forecast years than this, and ended before the horizon, is met with temporary "
            "places at the temporary cost (0: never temporary).", unit="years", min=0, max=10, step=1),
    Setting("expansion_max_fe_primary", "float", 2.0, "Largest primary expansion",
            "A lasting primary need up to this many forms of entry (210 places each) is met by expanding the "
            "area's schools; a larger one takes a new school.", unit="forms of entry", min=0.0, max=6.0, step=0.5),
    Setting("expansion_max_fe_secondary", "float", 6.0, "Largest secondary expansion",
            "A lasting secondary need up to this many forms of entry (150 places each) is met by expanding the "
            "area's schools; a larger one takes a new school.", unit="forms of entry", min=0.0, max=12.0, step=0.5),
    Setting("new_school_min_fe_primary", "float", 2.0, "Smallest new primary",
            "A new primary school is sized to the need in whole forms of entry, never below this (DfE free-school "
            "presumption: 2FE).", unit="forms of entry", min=1.0, max=4.0, step=0.5),
    Setting("new_school_min_fe_secondary", "float", 6.0, "Smallest new secondary",
            "A new secondary school is sized to the need in whole forms of entry, never below this (DfE free-school "
            "presumption: 6FE and above).", unit="forms of entry", min=4.0, max=12.0, step=0.5),
    Setting("charge_early_years", "bool", True, "Charge early years",
            "The council's policy seeks contributions for early-years places (costed only where the council sets "
            "an early-years cost)."),
    Setting("charge_send", "bool", True, "Charge SEND",
            "The council's policy seeks contributions for SEND places (4 x the primary expansion cost)."),
    Setting("price_base", "str", None, "Price base",
            "Price base of costs, e.g. 2024/25 (needs the region's price index); none keeps the costs' own.",
            nullable=True),
    Setting("cost_lead_years", "int", 0, "Cost lead time",
            "Years before a place is needed that its cost falls (a place must exist by the September it is needed).",
            unit="years", min=0, max=10, step=1),
)

#: Every setting by name, in the order of :class:`~placeplan.model.region.Assumptions`.
SETTINGS: dict[str, Setting] = {s.name: s for s in _TABLE}


def setting(name: str) -> Setting:
    """The :class:`Setting` called ``name`` (KeyError naming the known ones otherwise)."""
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"no setting {name!r}; known: {', '.join(SETTINGS)}") from None


def defaults() -> dict[str, object]:
    """Every setting's default (a fresh dict, so mutable defaults are not shared)."""
    return {n: (dict(s.default) if isinstance(s.default, dict) else s.default) for n, s in SETTINGS.items()}


def check_settings(values: dict, file: str = "", layer: str = "assumptions", prefix: str = "",
                   table: dict[str, Setting] | None = None) -> list[Problem]:
    """Problems with ``values`` (setting name -> value): unknown names and values not allowed.

    Parameters
    ----------
    values : dict
    file, layer : str
        Where the values came from, for the messages.
    prefix : str
        Put before each name in the problem's column, e.g. ``"assumptions."`` in a scenario.
    table : dict of Setting, optional
        Another table of the same form (e.g. the Monte Carlo's settings); default :data:`SETTINGS`.
    """
    table = SETTINGS if table is None else table
    out = []
    for name, value in values.items():
        s = table.get(name)
        if s is None:
            out.append(Problem(file, layer, None, f"{prefix}{name}", f"unknown setting; known: {', '.join(table)}"))
            continue
        msg = s.problem(value)
        if msg:
            out.append(Problem(file, layer, None, f"{prefix}{name}", msg))
    return out


def markdown_table(table: dict[str, Setting] | None = None) -> str:
    """The settings as a Markdown table (the one in docs/method.md is this text)."""
    head = ["| setting | label | default | allowed | unit | what it does |", "|---|---|---|---|---|---|"]
    return "\n".join(head + [s.markdown_row() for s in (SETTINGS if table is None else table).values()])
