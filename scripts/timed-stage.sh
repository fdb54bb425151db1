#!/usr/bin/env bash
# Usage: scripts/timed-stage.sh FILE LABEL CMD [ARGS...]   run one stage of `make test`
#        scripts/timed-stage.sh FILE --report              print the stage times so far
#
# A stage prints its banner, runs CMD, appends "LABEL<TAB>seconds<TAB>exit code" to FILE
# and exits with CMD's exit code. The report is a table of FILE with the total; `make
# test` prints it at the end, also when a stage failed (the failing stage is marked).
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 FILE LABEL CMD [ARGS...] | $0 FILE --report" >&2
    exit 2
fi
file=$1
shift

if [ "$1" = "--report" ]; then
    [ -f "$file" ] || exit 0
    printf '\n==> stage times\n'
    awk -F'\t' '
        { total += $2; printf "  %-22s %8.1f s%s\n", $1, $2, ($3 == 0 ? "" : "  (failed, exit " $3 ")") }
        END { printf "  %-22s %8.1f s  (%d:%02d)\n", "total", total, int(total / 60), int(total) % 60 }
    ' "$file"
    exit 0
fi

label=$1
shift
printf '\n==> %s\n' "$label"
start=$(date +%s%N)
rc=0
"$@" || rc=$?
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf '%s\t%d.%03d\t%d\n' "$label" $((ms / 1000)) $((ms % 1000)) "$rc" >>"$file"
exit "$rc"
