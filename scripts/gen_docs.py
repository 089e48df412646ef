"""Regenerate docs/data-format.md's column reference from the schema, and docs/method.md's
table of settings from placeplan.model.settings.

Run: .venv/bin/python scripts/gen_docs.py  (a test fails when the docs are stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from placeplan.io.templates import data_format_markdown  # noqa: E402
from placeplan.model.settings import markdown_table  # noqa: E402

BEGIN = "<!-- BEGIN GENERATED: layers -->"
END = "<!-- END GENERATED: layers -->"


def render(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{data_format_markdown()}\n{END}{tail}"


SETTINGS_BEGIN = "<!-- BEGIN GENERATED: settings -->"
SETTINGS_END = "<!-- END GENERATED: settings -->"


def render_settings(text: str) -> str:
    head, rest = text.split(SETTINGS_BEGIN, 1)
    _, tail = rest.split(SETTINGS_END, 1)
    return f"{head}{SETTINGS_BEGIN}\n{markdown_table()}\n{SETTINGS_END}{tail}"


def main() -> None:
    for name, fn in (("data-format.md", render), ("method.md", render_settings)):
        path = ROOT / "docs" / name
        path.write_text(fn(path.read_text()))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
