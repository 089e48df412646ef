"""The ``placeplan`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 3


def _summary(results, region) -> str:
    sf = results.shortfall
    fg = results.funding_gap
    meta = region.meta_dict
    lines = [
        f"Region: {meta.get('region_name', region.source)}",
        f"Base year {region.base_year} (census {region.base_academic_year}/{(region.base_academic_year + 1) % 100:02d}); "
        f"forecast {sf['academic_year'].iloc[0]} to {sf['academic_year'].iloc[-1]}",
        "",
    ]
    from placeplan.model.constants import AREA_PHASES
    from placeplan.model.summary import council_summary

    table = []
    for council, m in council_summary(sf, fg).iterrows():
        row = {"council": council}
        for phase in AREA_PHASES:
            row[f"{phase} places needed (peak, sum of areas)"] = f"{m[f'{phase}_places_needed']:,.0f}"
            row[f"{phase} FE"] = f"{m[f'{phase}_forms_of_entry']:.1f}"
            row[f"{phase} areas short"] = int(m[f"{phase}_areas_short"])
        row["cost £m"] = f"{m['cost'] / 1e6:,.1f}"
        row["contributions £m"] = f"{m['contributions'] / 1e6:,.1f}"
        row["Basic Need £m"] = f"{m['basic_need'] / 1e6:,.1f}"
        row["funding gap £m"] = f"{m['funding_gap'] / 1e6:,.1f}"
        table.append(row)
    lines.append(pd.DataFrame(table).set_index("council").T.to_string())
    if results.warnings:
        lines += ["", f"{len(results.warnings)} warning(s):"] + [f"  - {w}" for w in results.warnings[:20]]
    lines += ["", f"Sources: {meta.get('sources', 'not stated')}", f"Licence: {meta.get('licence', 'not stated')}"]
    return "\n".join(lines)


def _overrides(args) -> dict:
    """Settings given on the command line, checked against the table of settings."""
    from placeplan.errors import ValidationError
    from placeplan.model.settings import SETTINGS, check_settings

    given = {name: getattr(args, name) for name in SETTINGS if hasattr(args, name)}
    if given.get("yield_multipliers") is not None:
        given["yield_multipliers"] = _phase_values(given["yield_multipliers"])
    problems = check_settings(given, "command line", "")
    if problems:
        raise ValidationError([dataclasses.replace(p, file=f"command line {_flag(p.column)}", column=None) for p in problems])
    return given


def _phase_values(pairs: list[str]) -> dict:
    from placeplan.errors import Problem, ValidationError

    out: dict = {}
    for pair in pairs:
        phase, _, value = pair.partition("=")
        try:
            out[phase.strip()] = float(value)
        except ValueError:
            raise ValidationError([Problem("command line --yield-multiplier", "", None, None,
                                           f"{pair!r} is not PHASE=NUMBER, e.g. primary=1.1")]) from None
    return out


def _flag(name: str) -> str:
    return FLAG_NAMES.get(name, "--" + name.replace("_", "-"))


#: Settings whose flag is not their name with dashes.
FLAG_NAMES = {"baseline_method": "--baseline", "yield_multipliers": "--yield-multiplier"}


def cmd_forecast(args) -> int:
    import placeplan as pp
    from placeplan.model.forecast import forecast

    overrides = _overrides(args)
    region = pp.load_region(args.region)
    if args.sites:
        region = _with_sites_file(region, args.sites)
    scenario = pp.load_scenario(args.scenario) if args.scenario else None
    target, assumptions = region, region.assumptions()
    if scenario is not None:
        try:
            target, assumptions = pp.apply_scenario(region, scenario)
        except pp.ValidationError as exc:
            raise pp.ValidationError([dataclasses.replace(p, file=p.file or args.scenario) for p in exc.problems]) from None
    assumptions = assumptions.replace(**overrides)  # the flags on top of the region's and the scenario's
    results = forecast(target, assumptions, scenario_name=scenario.label() if scenario is not None else "base")
    print(_summary(results, region))
    ranges = None
    if args.draws:
        ranges = pp.monte_carlo(target, assumptions, pp.Uncertainty(draws=args.draws, seed=args.seed))
        t = ranges.funding_gap_total
        print(f"\nMonte Carlo, {args.draws} draws (seed {args.seed}): funding gap over all years, £m")
        for r in t.itertuples():
            print(f"  {r.council:<22} P10 {r.funding_gap_total_p10 / 1e6:8.1f}   P50 {r.funding_gap_total_p50 / 1e6:8.1f}"
                  f"   P90 {r.funding_gap_total_p90 / 1e6:8.1f}")
    if args.out:
        path = pp.export_results(results, args.out, ranges=ranges)
        print(f"\nwrote {path}")
        filed = _write_developer_contributions(results, Path(path))
        print(f"wrote {filed} (planning data platform: developer-agreement-contribution)")
    return EXIT_OK


def _write_developer_contributions(results, out: Path) -> Path:
    """``<out>.developer_contributions.csv`` beside the results, in the planning data platform's shape."""
    import datetime

    from placeplan.io.planning_data import developer_contributions, write_developer_contributions

    frame = developer_contributions(results.contributions, datetime.date.today().isoformat())
    return write_developer_contributions(frame, out.with_name(out.stem + ".developer_contributions.csv"),
                                         results.provenance)


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, made from the table of settings (type, choices, help)."""
    from placeplan.model.settings import SETTINGS

    group = parser.add_argument_group("settings (default: the region's; a scenario's on top; these on top of both)")
    for s in SETTINGS.values():
        flags = [_flag(s.name)]
        if s.name == "baseline_method":
            flags.append("--baseline-method")
        unit = f" ({s.unit})" if s.unit else ""
        text = f"{s.label}{unit}: {s.help} Allowed: {s.allowed()}.".replace("%", "%%")
        kw: dict = {"dest": s.name, "default": argparse.SUPPRESS, "help": text}
        if s.kind == "bool":
            kw["action"] = argparse.BooleanOptionalAction
        elif s.kind == "phase_multipliers":
            kw.update(action="append", metavar="PHASE=X")
        elif s.choices:
            kw["choices"] = list(s.choices)
        else:
            kw.update(type={"int": int, "float": float, "str": str}[s.kind], metavar=s.kind.upper())
        group.add_argument(*flags, **kw)


def cmd_backtest(args) -> int:
    import placeplan as pp
    from placeplan.io.tables import export_tables, read_actuals
    from placeplan.model.backtest import backtest
    from placeplan.model.uncertainty import Uncertainty

    region = pp.load_region(args.region)
    actuals = read_actuals(args.actuals)
    result = backtest(region, actuals, args.base_year, settings=Uncertainty(draws=args.draws, seed=args.seed),
                      sixth_form=args.sixth_form)
    print(f"Back-test from base year {result.base_year} (census May {result.base_year}); "
          f"{len(result.rows)} actual values compared, {len(result.skipped)} skipped"
          f"{'' if args.sixth_form else '; secondary pupils are Y7-Y11'}.")
    print("accuracy = (forecast - actual) / actual (DfE); MAPE = mean |accuracy|; weighted = sum |forecast - actual| / "
          "sum actual; median = median |accuracy|; naive = the base year's pupils held constant; "
          "coverage = share of actuals in P10-P90\n")
    print(_backtest_table(result.summary).to_string(index=False))
    for note in result.notes:
        print(f"\n{note}")
    for r in result.skipped.head(10).itertuples():
        print(f"  skipped {r.level} {r.code} {r.phase} {r.academic_year}: {r.reason}")
    if args.out:
        path = export_tables({"summary": result.summary, "rows": result.rows, "skipped": result.skipped}, Path(args.out))
        print(f"\nwrote {path}")
    return EXIT_OK


def _backtest_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The back-test summary with the model's errors beside the naive forecast's, as percentages."""
    show = summary[["level", "phase", "years_ahead", "n"]].copy()
    show["accuracy"] = summary["mean_accuracy"].map("{:+.1%}".format)
    show["naive accuracy"] = summary["naive_mean_accuracy"].map("{:+.1%}".format)
    for col, label in (("mape", "MAPE"), ("weighted_ape", "weighted"), ("median_ape", "median")):
        show[label] = summary[col].map("{:.1%}".format)
        show[f"naive {label}"] = summary[f"naive_{col}"].map("{:.1%}".format)
    show["coverage"] = summary["coverage_p10_p90"].map("{:.0%}".format)
    return show


def _with_sites_file(region, path):
    import placeplan as pp

    sites, traj = pp.read_sites(path)
    out = pp.with_sites(region, sites, traj, str(path))
    from placeplan.io.tables import placement_warnings

    for w in placement_warnings(out, str(path)):
        print(f"  warning: {w}")
    return out


def cmd_validate(args) -> int:
    import placeplan as pp

    path = Path(args.path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".json"):
        region = pp.load_region(args.region)
        out = _with_sites_file(region, path)
        print(f"{path}: valid sites file ({len(out.sites)} sites, {len(out.trajectories)} trajectory rows; "
              f"checked against {region.meta_dict.get('region_name', region.source)})")
        return EXIT_OK
    if suffix == ".json":
        scenario = pp.load_scenario(path)
        region = pp.load_region(args.region)
        try:
            pp.apply_scenario(region, scenario)
        except pp.ValidationError as exc:
            raise pp.ValidationError([dataclasses.replace(p, file=str(path)) for p in exc.problems]) from None
        print(f"{path}: valid scenario '{scenario.name}' for {region.meta_dict.get('region_name', region.source)}")
        return EXIT_OK
    region = pp.load_region(path)
    counts = ", ".join(f"{len(getattr(region, n))} {n}" for n in ("councils", "planning_areas", "schools", "zones", "sites"))
    print(f"{path}: valid region bundle ({counts})")
    from placeplan.io.tables import placement_warnings

    for w in placement_warnings(region, str(path)):
        print(f"  warning: {w.replace(', row', ', feature', 1)}")
    return EXIT_OK


def cmd_app(args) -> int:
    script = Path(__file__).resolve().parent / "app" / "main.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           # uploads are read by placeplan's own readers, never unpickled; the size is capped
           "--server.maxUploadSize", "50", "--server.enableXsrfProtection", "true",
           # a served app, not a development loop: no source watching, and no full garbage
           # collection after every rerun (it held the GIL for half of each edit's time,
           # queueing every other session behind it; Python's own collector still runs)
           "--server.fileWatcherType", "none", "--server.runOnSave", "false", "--runner.postScriptGC", "false",
           # a product, not a development server: no Deploy button or developer menu
           "--client.toolbarMode", "viewer"]
    env = dict(os.environ)
    if args.region:
        env["PLACEPLAN_REGION"] = str(Path(args.region).resolve())
    if os.name == "posix":
        # become the server, so a stop signal (Ctrl-C, kill, a service manager) reaches it
        # and no orphaned server keeps the port
        sys.stdout.flush()
        os.execve(sys.executable, cmd, env)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_explain(args) -> int:
    """Show the calculation of places needed (area), a contribution (site) or a gap (council)."""
    import placeplan as pp

    region = pp.load_region(args.region)
    scenario = pp.load_scenario(args.scenario) if args.scenario else None
    try:
        e = pp.explain(region, args.what, args.key, args.year, scenario=scenario)
    except (KeyError, ValueError) as exc:
        print(f"placeplan explain: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_INVALID
    print(e)
    if args.out:
        e.to_frame().to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return EXIT_OK


def cmd_template(args) -> int:
    from placeplan.io.templates import write_templates

    for path in write_templates(Path(args.folder)):
        print(f"wrote {path}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="placeplan", description="School place planning across councils.")
    ap.add_argument("--version", action="version", version=_version())
    sub = ap.add_subparsers(dest="command", required=True)
    f = sub.add_parser("forecast", help="forecast pupils, shortfall and funding gap")
    f.add_argument("--region", help="region bundle (GeoPackage); default: the embedded demo region")
    f.add_argument("--sites", help="a council's sites file (CSV/XLSX/GeoPackage) replacing the region's sites")
    f.add_argument("--scenario", help="scenario JSON applied to the region")
    f.add_argument("--out", help="write results: .xlsx (all sheets + provenance) or .csv (shortfall); "
                   "also <name>.developer_contributions.csv (planning data platform)")
    f.add_argument("--draws", type=int, default=0, help="Monte Carlo draws: adds P10/P50/P90 columns (e.g. 1000)")
    f.add_argument("--seed", type=int, default=20151, help="seed of the Monte Carlo")
    add_setting_flags(f)
    f.set_defaults(func=cmd_forecast)
    b = sub.add_parser("backtest", help="forecast from a past base year and score it against actual pupils")
    b.add_argument("--region", help="region bundle; default: the embedded demo region")
    b.add_argument("--actuals", required=True, help="CSV/XLSX: level (council or planning_area), code, phase, academic_year, pupils")
    b.add_argument("--base-year", type=int, help="census year to start from (needs roll_history up to then)")
    b.add_argument("--draws", type=int, default=500, help="Monte Carlo draws for the P10-P90 band")
    b.add_argument("--seed", type=int, default=20151)
    b.add_argument("--no-sixth-form", dest="sixth_form", action="store_false",
                   help="secondary actuals are Y7-Y11 (the forecast's Y12-Y13 are left out)")
    b.add_argument("--out", help="write summary and rows to .xlsx or .csv")
    b.set_defaults(func=cmd_backtest)
    v = sub.add_parser("validate", help="check a region bundle, sites file or scenario")
    v.add_argument("path")
    v.add_argument("--region", help="for a sites file or scenario: the region to check it against (default: the demo region)")
    v.set_defaults(func=cmd_validate)
    a = sub.add_parser("app", help="start the browser app on the demo region")
    a.add_argument("--region", help="region bundle; default: the embedded demo region")
    a.add_argument("--port", type=int, default=8501)
    a.set_defaults(func=cmd_app)
    e = sub.add_parser("explain", help="show the calculation: area CODE YEAR | site ID | council CODE [YEAR]")
    e.add_argument("what", choices=("area", "site", "council"))
    e.add_argument("key", help="planning area code or name, site id or name, council code or name")
    e.add_argument("year", nargs="?", help="academic year, e.g. 2027 or 2027/28 (needed for an area)")
    e.add_argument("--region", help="region bundle; default: the embedded demo region")
    e.add_argument("--scenario", help="scenario JSON applied to the region")
    e.add_argument("--out", help="write the parts to a CSV")
    e.set_defaults(func=cmd_explain)
    t = sub.add_parser("template", help="write CSV/XLSX templates a council can fill in")
    t.add_argument("folder", nargs="?", default="placeplan-templates")
    t.set_defaults(func=cmd_template)
    return ap


def _version() -> str:
    from placeplan import __version__

    return f"placeplan {__version__}"


def main(argv: list[str] | None = None) -> int:
    from placeplan.errors import ValidationError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:  # output piped to a command that stopped reading (e.g. head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:  # never a traceback for a user; the message says what failed
        print(f"placeplan: internal error: {type(exc).__name__}: {exc}\n"
              "Please report it with the command you ran.", file=sys.stderr)
        if os.environ.get("PLACEPLAN_DEBUG"):
            raise
        return EXIT_ERROR


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
