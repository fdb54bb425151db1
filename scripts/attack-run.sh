#!/usr/bin/env bash
# The larger attack run (issue 12, ADR 0023): the tests of tests/attack with every
# schemathesis phase (coverage and stateful included) and more examples per operation, and
# sqlmap with all techniques (time-based and stacked queries too) at level 3.
#
#   scripts/attack-run.sh                  # SQLite test database
#   scripts/attack-run.sh --postgres       # a throwaway PostgreSQL cluster
#   SCHEMATHESIS_EXAMPLES=100 scripts/attack-run.sh   # more examples (default 25)
#
# Takes tens of minutes on 2 cores; `make test` runs the bounded version (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

export SCHEMATHESIS_EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"
export SCHEMATHESIS_PHASES="${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}"
export SQLMAP_TECHNIQUES="${SQLMAP_TECHNIQUES:-BEUSTQ}"
export SQLMAP_LEVEL="${SQLMAP_LEVEL:-3}"
export ATTACK_TIMEOUT="${ATTACK_TIMEOUT:-7200}"

run=(.venv/bin/pytest tests/attack -m attack -q -p no:cacheprovider --durations=10)
if [ "${1:-}" = "--postgres" ]; then
    exec scripts/with-postgres.sh "${run[@]}"
fi
exec env -u SAFEGRID_DATABASE_URL "${run[@]}"
