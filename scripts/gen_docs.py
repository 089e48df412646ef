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


def _generated(text: str, name: str, body: str) -> str:
    """``text`` with the part between its ``name`` markers replaced by ``body``."""
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    """docs/data-format.md with its column reference made from the schema."""
    return _generated(text, "layers", data_format_markdown())


def render_settings(text: str) -> str:
    """docs/method.md with its table of settings made from placeplan.model.settings."""
    return _generated(text, "settings", markdown_table())


def main() -> None:
    for name, fn in (("data-format.md", render), ("method.md", render_settings)):
        path = ROOT / "docs" / name
        path.write_text(fn(path.read_text()))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
