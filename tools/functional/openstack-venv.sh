#!/bin/bash
# Create (idempotently) the separate virtualenv that the functional tests use
# to run real Glance and Keystone as subprocesses.
#
# Glance and Keystone pull in a large and conflicting set of dependencies,
# so they never go into the test venv: the tests start them from this venv
# with tools/functional/serve.py (a stdlib WSGI server) and talk to them over
# HTTP on 127.0.0.1.
#
# Usage: tools/functional/openstack-venv.sh [--force]
#   prints the venv path on its last line of output.
#
# Environment:
#   AGGREGATES_EXT_FUNCTIONAL_DIR  base directory
#                                  (default $HOME/.cache/aggregates-ext-functional)
#   AGGREGATES_EXT_OPENSTACK_VENV  venv path (default $BASE/venv-openstack)
#   AGGREGATES_EXT_FUNCTIONAL_PYTHON  interpreter for the venv (default python3)
#   AGGREGATES_EXT_OPENSTACK_REQUIREMENTS  space-separated pip requirements
#                                  (default "glance>=30 keystone>=27 keystonemiddleware>=10.2.0")
#
# A marker file inside the venv records what was installed; a second run
# with the same requirements and interpreter returns at once.  Concurrent runs
# (parallel test workers) serialise on a lock file.

set -eu
set -o pipefail

BASE=${AGGREGATES_EXT_FUNCTIONAL_DIR:-${HOME:-/root}/.cache/aggregates-ext-functional}
VENV=${AGGREGATES_EXT_OPENSTACK_VENV:-$BASE/venv-openstack}
PY=${AGGREGATES_EXT_FUNCTIONAL_PYTHON:-python3}
REQS=${AGGREGATES_EXT_OPENSTACK_REQUIREMENTS:-glance>=30 keystone>=27 keystonemiddleware>=10.2.0}
MARKER=$VENV/.aggregates-ext-openstack-venv
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

say() { echo "openstack-venv: $*"; }
die() { echo "openstack-venv: ERROR: $*" >&2; exit 1; }

command -v "$PY" >/dev/null 2>&1 || die "no $PY on PATH"
PYVER=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
# The base interpreter, not the venv python3 happens to be in (each tox env,
# each worktree has its own): with that path in the marker, runs from two
# tox envs took turns reinstalling everything (30 s each time).
WANT="reqs=$REQS python=$("$PY" -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))') $PYVER"

marker_ok() {
    [ "$FORCE" = 0 ] && [ -f "$MARKER" ] && [ "$(head -n1 "$MARKER")" = "$WANT" ] &&
        [ -x "$VENV/bin/python" ]
}

if marker_ok; then
    say "up to date: $VENV"
    echo "$VENV"
    exit 0
fi

mkdir -p "$(dirname "$VENV")"
LOCK=$VENV.lock
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK"
    if ! flock -n 9; then
        say "another install is running, waiting for $LOCK"
        flock 9
    fi
    # Somebody else may have finished the install while we waited.
    if marker_ok; then
        say "up to date: $VENV"
        echo "$VENV"
        exit 0
    fi
fi

START=$(date +%s)

apt_install() {
    # Only on a machine where we may: root with apt-get.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install -y $*"
        export DEBIAN_FRONTEND=noninteractive
        if [ ! -f "$BASE/.apt-updated" ]; then
            apt-get update -q >/dev/null
            mkdir -p "$BASE" && touch "$BASE/.apt-updated"
        fi
        apt-get install -y -q "$@" >/dev/null
        return 0
    fi
    return 1
}

# 1. The venv itself.  Debian's python3 has no ensurepip without python3-venv.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
    rm -rf "$VENV"
    say "creating venv $VENV with $PY $PYVER"
    if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        say "'$PY -m venv' failed (no ensurepip?); installing python3-venv"
        apt_install python3-venv ||
            die "cannot create a venv: install python3-venv (as root: apt-get install python3-venv)"
        "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed"
    fi
else
    say "reusing venv $VENV (no marker yet, or requirements changed)"
fi

# 2. The packages.  Everything needed has binary wheels for current CPython;
# if pip has to build something and fails, add a compiler and retry once.
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
LOG=$VENV/pip-install.log
# shellcheck disable=SC2086
say "pip install $REQS (cold install takes about a minute; log: $LOG)"
# shellcheck disable=SC2086
if ! "${PIP[@]}" install $REQS >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    say "pip install failed; trying again with build tools"
    apt_install build-essential python3-dev libffi-dev libssl-dev ||
        die "pip install failed, see $LOG"
    # shellcheck disable=SC2086
    "${PIP[@]}" install $REQS >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "pip install failed, see $LOG"; }
fi

# 3. Check that what the tests run is importable, and that pip is consistent.
say "checking the install"
PYTHONWARNINGS=ignore "$VENV/bin/python" - <<'EOF' || die "import check failed"
import importlib
for mod in ('glance', 'glance.cmd.manage', 'keystone', 'keystone.cmd.manage',
            'keystonemiddleware.auth_token', 'paste.deploy'):
    importlib.import_module(mod)
EOF
for cmd in glance-manage keystone-manage; do
    [ -x "$VENV/bin/$cmd" ] || die "$VENV/bin/$cmd is missing"
done
"${PIP[@]}" check >>"$LOG" 2>&1 || say "warning: 'pip check' reports problems (see $LOG)"

VERSIONS=$("${PIP[@]}" list --format=freeze 2>/dev/null | grep -iE '^(glance|keystone|keystonemiddleware)==' | tr '\n' ' ')
{
    echo "$WANT"
    echo "installed: $VERSIONS"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ) seconds: $(( $(date +%s) - START ))"
} >"$MARKER"
say "done in $(( $(date +%s) - START )) s: $VERSIONS"
echo "$VENV"
