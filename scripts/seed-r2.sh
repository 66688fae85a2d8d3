#!/usr/bin/env bash
# Seeds local R2 with the sample data (fast, idempotent). Usage: scripts/seed-r2.sh --help
# The work is in seed-r2.mjs (Miniflare, on wrangler's Node 22); this sets up the env.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[ -x "$NODE22" ] || { echo "seed-r2: Node 22 missing: run scripts/install-tools.sh build" >&2; exit 1; }
# sample_data.py uses pyarrow when the venv has it; system python3 falls back to the fixture.
if [ -x "$ODP_VENV/bin/python" ]; then ODP_PYTHON="$ODP_VENV/bin/python"; else ODP_PYTHON=python3; fi
export ODP_PYTHON
exec "$NODE22" "$ODP_ROOT/scripts/seed-r2.mjs" "$@"
