#!/usr/bin/env bash
# Development aid while a migration is still unreleased (not yet on main): rebuild it from
# the models. Usage: scripts/regen-migration.sh REV DOWN_REV "message"
# e.g. scripts/regen-migration.sh 0002 0001 "billing: readings, tariffs, bills, collection"
# It upgrades a scratch SQLite DB to DOWN_REV, deletes any existing REV file and
# autogenerates REV against it. Never use it on a revision that has landed on main.
set -euo pipefail
rev=$1 down=$2 msg=$3
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/alembic.ini" <<INI
[alembic]
script_location = $root/migrations
sqlalchemy.url = sqlite:///$tmp/scratch.db
INI
rm -f migrations/versions/"${rev}"_*.py
.venv/bin/alembic -c "$tmp/alembic.ini" upgrade "$down" >/dev/null
.venv/bin/alembic -c "$tmp/alembic.ini" revision --autogenerate -m "$msg" --rev-id "$rev" | tail -1
.venv/bin/alembic -c "$tmp/alembic.ini" upgrade head >/dev/null
.venv/bin/alembic -c "$tmp/alembic.ini" check
