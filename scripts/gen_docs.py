"""Regenerate docs/data-format.md's column reference from the schema.

Run: .venv/bin/python scripts/gen_docs.py  (a test fails when the docs are stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from placeplan.io.templates import data_format_markdown  # noqa: E402

BEGIN = "<!-- BEGIN GENERATED: layers -->"
END = "<!-- END GENERATED: layers -->"


def render(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{data_format_markdown()}\n{END}{tail}"


def main() -> None:
    path = ROOT / "docs" / "data-format.md"
    path.write_text(render(path.read_text()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
