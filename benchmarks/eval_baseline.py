"""Compare today's planning-area baseline with the council-constrained one (issue #12) on the demo.

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/eval_baseline.py [--region PATH] [--top 10]``

Prints, per council and phase, baseline pupils in 2022/23 and 2029/30 and peak places needed
(today's vs constrained; the council totals must stay within 0.5%), and the planning areas
whose 2022/23 baseline changes most, with the ward signal that explains it (age 0 x 7 /
ages 5-11 of the area's resident children: a low value is a suburb whose children the old
baseline drained away).  "Today" is the forecast code as it stands; "constrained" replaces
its baseline with :func:`placeplan.model.shares.constrained_baseline` of the council
projection and nothing else (same housing, flows, capacity and headroom).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import placeplan as pp  # noqa: E402
from placeplan.model import baseline as bl  # noqa: E402
from placeplan.model import forecast as fc  # noqa: E402
from placeplan.model import shares  # noqa: E402
from placeplan.model.completions import trend_background  # noqa: E402
from placeplan.model.constants import AGE_OFFSET, N_NCY  # noqa: E402
from placeplan.model.geography import area_sum  # noqa: E402

MODE = {"progression": "synthetic"}


def constrained(region, idx, a):
    """The constrained baseline (A, Y, G) and base rolls (A, G), from the same inputs as today's."""
    zw = fc.zone_weights(region, idx)
    resident = fc.resident_children(region, idx, a)
    res_area = area_sum(zw, resident[:, np.arange(N_NCY) + AGE_OFFSET, :])
    rolls = fc.base_rolls(region, idx, res_area[:, :, 0]) * idx.grade_mask
    # council totals: today's baseline summed per council (the council ratios' projection)
    today = bl.population_baseline(rolls, res_area)
    if MODE["progression"] == "synthetic":  # the base year's cross-section of moves persists
        out = shares.constrain_to_councils(today, rolls, idx.area_council, len(idx.councils))
    else:  # shares follow the cohort, no moves between areas after entry
        council = shares.council_sum(today, idx.area_council, len(idx.councils))
        out = shares.constrained_baseline(council, rolls, idx.area_council)
    return np.where(idx.grade_mask[:, None, :], out, 0.0), rolls, res_area


def run(region, a, new: bool):
    if not new:
        return fc.forecast(region, a).shortfall
    with mock.patch.object(fc, "baseline", lambda r, i, aa: constrained(r, i, aa)[:2]):
        return fc.forecast(region, a).shortfall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default=None)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--progression", choices=["synthetic", "none"], default="synthetic",
                    help="synthetic: cohorts' shares change as the base year's NCYs do; none: shares follow the cohort")
    ap.add_argument("--netting", action="store_true", help="net completions against background_rates")
    ap.add_argument("--damping", type=float, default=None, help="migration damping (default: the region's)")
    ap.add_argument("--trend-background", action="store_true",
                    help="with --netting: net against migration_damping x background rate (completions.trend_background)")
    ap.add_argument("--areas", default="", help="comma-separated planning-area codes to show as well")
    args = ap.parse_args(argv)
    MODE["progression"] = args.progression
    region = pp.read_region(args.region)
    a = region.assumptions()
    if args.damping is not None:
        a = a.replace(migration_damping=args.damping)
    if args.netting:
        if region.background_rates.empty:
            ap.error("--netting: the region has no background_rates table (rebuild the demo: data/build_demo.py)")
        a = a.replace(netting=True)
        if args.trend_background:  # net only the part of the background the damped trend carries
            br = region.background_rates.copy()
            br["dwellings_per_year"] = trend_background(br["dwellings_per_year"].to_numpy(), a.migration_damping)
            region = region.replace(background_rates=br)
    print(f"region {args.region or 'demo'}; migration damping {a.migration_damping}; netting {a.netting}; "
          f"shares progression {args.progression}\n")
    idx = fc._index(region, a)
    old = run(region, a, new=False)
    new = run(region, a, new=True)
    years = {"2022/23": 2022, "2029/30": 2029}
    key = ["planning_area_code", "academic_year"]
    both = old.merge(new, on=key, suffixes=("_old", "_new"))
    pa = region.planning_areas.set_index("planning_area_code")
    both["council"] = pa.loc[both["planning_area_code"], "council_code"].map(
        dict(zip(region.councils["council_code"], region.councils["council"]))).to_numpy()
    both["phase"] = pa.loc[both["planning_area_code"], "phase"].to_numpy()
    yr = both["academic_year"].astype(str)
    rows = []
    worst = 0.0
    for (council, phase), g in both.groupby(["council", "phase"]):
        r = {"council": council, "phase": phase}
        for label in years:
            s = g[yr.loc[g.index] == label]
            for col in ("baseline_pupils", "pupils_forecast"):
                o, n = s[f"{col}_old"].sum(), s[f"{col}_new"].sum()
                r[f"{col} {label} today"], r[f"{col} {label} new"] = round(o), round(n)
                if col == "baseline_pupils":
                    worst = max(worst, abs(n / o - 1) if o else 0.0)
        peak = g.groupby("planning_area_code")[["places_needed_old", "places_needed_new"]].max().sum()
        r["peak places needed today"], r["peak places needed new"] = round(peak.iloc[0]), round(peak.iloc[1])
        rows.append(r)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False))
    print(f"\nlargest council x phase change in baseline pupils (2022/23, 2029/30): {worst:.3%}")
    total = table[["peak places needed today", "peak places needed new"]].sum()
    print(f"peak places needed, all areas: today {total.iloc[0]:,.0f}, constrained {total.iloc[1]:,.0f}")

    # the areas that change most in 2022/23, and the ward signal behind it (issue #12):
    # resident age 0 x 7 / ages 5-11 at the base mid-year, low in suburbs, high in towns
    zw = fc.zone_weights(region, idx)
    resident = fc.resident_children(region, idx, a)
    age0 = area_sum(zw, resident[:, [0], :1])[:, 0, 0]
    age5_11 = area_sum(zw, resident[:, 5:12, :1])[:, :, 0].sum(axis=1)
    signal = np.where(age5_11 > 0, 7 * age0 / np.where(age5_11 > 0, age5_11, 1.0), np.nan)
    s = both[yr == "2022/23"].copy()
    s["change"] = s["baseline_pupils_new"] - s["baseline_pupils_old"]
    s["change_pct"] = s["change"] / s["baseline_pupils_old"].where(s["baseline_pupils_old"] > 0)
    s["places_change"] = s["places_needed_new"] - s["places_needed_old"]
    s["age0x7_over_5to11"] = pd.Series(signal, index=idx.areas).reindex(s["planning_area_code"]).to_numpy()
    s["name"] = pa.loc[s["planning_area_code"], "planning_area"].to_numpy()
    top = s.reindex(s["change"].abs().sort_values(ascending=False).index).head(args.top)
    if args.areas:
        top = pd.concat([top, s[s["planning_area_code"].isin(args.areas.split(","))]]).drop_duplicates("planning_area_code")
    cols = ["planning_area_code", "name", "council", "phase", "baseline_pupils_old", "baseline_pupils_new", "change_pct",
            "places_needed_old", "places_needed_new", "age0x7_over_5to11"]
    print(f"\n{args.top} planning areas whose 2022/23 baseline changes most:")
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", "{:,.3f}".format):
        print(top[cols].round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
