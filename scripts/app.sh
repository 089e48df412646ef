#!/usr/bin/env bash
# Start the placeplan app on the embedded demo region, from a fresh machine.
# Creates .venv, installs placeplan with its app extra, runs `placeplan app`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[app]"
exec .venv/bin/placeplan app "$@"
