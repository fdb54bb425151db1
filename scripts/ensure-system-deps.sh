#!/usr/bin/env bash
# Make sure the system packages SafeGrid's test suite needs are installed:
#   - PostgreSQL server binaries (scripts/with-postgres.sh runs a throwaway cluster)
#   - Debian's Chromium (Playwright browser tests; no browser download is possible)
#   - a CJK font, so Chinese text renders in headless Chromium
#   - a Java runtime (OpenJDK headless): PySpark runs the analytics pipelines in local mode
#   - sqlmap (tests/attack: nothing injectable, issue 12)
# Idempotent and quiet when everything is already present. As root it installs
# what is missing with apt-get; otherwise it says what to install and exits 1.
set -euo pipefail

CJK_FONT_PKG=fonts-wqy-zenhei
JAVA_PKG=openjdk-17-jre-headless

have_postgres() {
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

have_chromium() {
    [ -x /usr/bin/chromium ]
}

have_sqlmap() {
    command -v sqlmap >/dev/null 2>&1
}

have_cjk_font() {
    # Any font covering Chinese will do (fonts-noto-cjk, fonts-wqy-*, ...).
    if command -v fc-list >/dev/null 2>&1; then
        [ -n "$(fc-list :lang=zh family 2>/dev/null)" ] && return 0
    fi
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$CJK_FONT_PKG" 2>/dev/null || true)" = installed ]
}

have_java() {
    command -v java >/dev/null 2>&1
}

missing=()
have_postgres || missing+=(postgresql)
have_chromium || missing+=(chromium)
have_cjk_font || missing+=("$CJK_FONT_PKG")
have_java || missing+=("$JAVA_PKG")
have_sqlmap || missing+=(sqlmap)

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    {
        echo "ensure-system-deps: missing system packages: ${missing[*]}"
        echo "ensure-system-deps: install them as root, e.g.:"
        echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    } >&2
    exit 1
fi

echo "ensure-system-deps: installing ${missing[*]} with apt-get ..."
export DEBIAN_FRONTEND=noninteractive

apt_retry() {
    # One retry for transient mirror/network hiccups.
    "$@" || { echo "ensure-system-deps: '$*' failed, retrying in 5s" >&2; sleep 5; "$@"; }
}

start=$SECONDS
apt_retry apt-get update -qq
apt_retry apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Verify that the install actually produced what we need.
status=0
have_postgres || { echo "ensure-system-deps: initdb still missing after install" >&2; status=1; }
have_chromium || { echo "ensure-system-deps: /usr/bin/chromium still missing after install" >&2; status=1; }
have_cjk_font || { echo "ensure-system-deps: no CJK font found after install" >&2; status=1; }
have_java || { echo "ensure-system-deps: java still missing after install" >&2; status=1; }
have_sqlmap || { echo "ensure-system-deps: sqlmap still missing after install" >&2; status=1; }
[ "$status" -eq 0 ] && echo "ensure-system-deps: done in $((SECONDS - start))s"
exit "$status"
