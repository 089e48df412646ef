"""Templates a council fills in, and the data-format reference, both from the schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from placeplan.io.schema import LAYERS
from placeplan.io.tables import export_tables

EXAMPLES: dict[str, list[dict]] = {
    "sites": [
        {"site_id": "MK-EX-1", "site": "Example Road, Newport Pagnell", "council_code": "E06000042", "dwellings": 450,
         "status": "permissioned", "first_year": 2019, "build_rate": 75, "share_houses": 0.8, "affordable_share": 0.3,
         "share_1bed": 0.1, "share_2bed": 0.3, "share_3bed": 0.4, "share_4bed": 0.2, "easting": 488000, "northing": 244000,
         "notes": "start year and build rate"},
        {"site_id": "MK-EX-2", "site": "Example Fields (trajectory)", "council_code": "E06000042", "dwellings": 300,
         "status": "allocated", "first_year": 2020, "build_rate": 0, "easting": 486500, "northing": 236500,
         "2020/21": 50, "2021/22": 100, "2022/23": 100, "2023/24": 50, "notes": "explicit trajectory by academic year"},
    ],
    "capacity_changes": [
        {"planning_area_code": "8260001", "phase": "primary", "academic_year": "2019/20", "places": 210,
         "project_type": "expansion", "description": "1FE expansion"},
    ],
    "flows": [
        {"from_planning_area": "8230005", "to_planning_area": "8260004", "phase": "primary", "share": 0.1},
    ],
    "funding": [
        {"council_code": "E06000042", "academic_year": "2019/20", "source": "basic_need", "amount": 5_000_000,
         "description": "Basic Need allocation"},
    ],
}


def template_frame(layer: str) -> pd.DataFrame:
    cols = [c.name for c in LAYERS[layer].columns]
    rows = EXAMPLES.get(layer, [])
    extra = [k for r in rows for k in r if k not in cols]
    order = cols + list(dict.fromkeys(extra))
    return pd.DataFrame(rows, columns=order)


def columns_frame(layer: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "column": c.name,
                "type": c.kind,
                "required": "yes" if c.required else "no",
                "may be blank": "yes" if c.nullable else "no",
                "allowed": ", ".join(c.choices) if c.choices else _range(c),
                "description": c.description,
            }
            for c in LAYERS[layer].columns
        ]
    )


def _range(c) -> str:
    if c.min is None and c.max is None:
        return ""
    lo = "" if c.min is None else f"{c.min:g}"
    hi = "" if c.max is None else f"{c.max:g}"
    return f"{lo} to {hi}".strip()


def write_templates(folder: Path) -> list[Path]:
    """Write ``<layer>.csv`` and ``<layer>.xlsx`` (with a ``columns`` sheet) for the tables councils fill in."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for layer in EXAMPLES:
        frame = template_frame(layer)
        out.append(export_tables({layer: frame}, folder / f"{layer}.csv"))
        out.append(export_tables({layer: frame, "columns": columns_frame(layer)}, folder / f"{layer}.xlsx"))
    return out


def data_format_markdown() -> str:
    """The reference of every layer and column (docs/data-format.md is generated from it)."""
    parts = []
    for name, layer in LAYERS.items():
        geom = f" Geometry: {' or '.join(layer.geometry)} in EPSG:27700{' (may be empty)' if layer.geometry_nullable else ''}." if layer.geometry else " Table (no geometry)."
        parts.append(f"### `{name}` ({'required' if layer.required else 'optional'})\n\n{layer.description}{geom}\n")
        parts.append(columns_frame(name).to_markdown(index=False) if _has_tabulate() else _md(columns_frame(name)))
        parts.append("")
    return "\n".join(parts)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _md(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v).replace("|", "/") for v in r) + " |" for r in frame.itertuples(index=False)]
    return "\n".join([head, sep, *rows])
