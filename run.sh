#!/usr/bin/env bash
# StationKit set-up and run: `./run.sh demo` or `./run.sh test` (see README.md).
# Installs what is missing (Debian packages when root, a virtualenv in .venv), then runs.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${STATIONKIT_VENV:-.venv}
PY=${PYTHON:-python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {  # apt_install LISTFILE: install the Debian packages of LISTFILE that are missing
    local missing=()
    for pkg in $(grep -v '^#' "$1"); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    # A machine with its own Python (pyenv, python.org) needs no Debian python3 packages.
    if command -v "$PY" >/dev/null && "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
        local keep=()
        for pkg in "${missing[@]}"; do [[ $pkg == python3* ]] || keep+=("$pkg"); done
        missing=("${keep[@]}")
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "missing Debian packages: ${missing[*]}"
        say "run as root, or first: sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

venv() {  # venv EXTRAS: a virtualenv with the project installed, refreshed when pyproject changes
    local stamp="$VENV/.stationkit-$1"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$PY" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing StationKit [$1] into $VENV"
        "$VENV/bin/pip" install -q --upgrade pip
        "$VENV/bin/pip" install -q -e ".[$1]"
        touch "$stamp"
    fi
}

case "${1:-}" in
    demo)
        shift
        apt_install requirements/apt-demo.txt
        venv demo,gateway,camera
        exec "$VENV/bin/stationkit" demo "$@"
        ;;
    test)
        shift
        if [ "${1:-}" = "--fast" ]; then  # the pure lane: no broker, browser or processes
            shift
            venv dev
            say "ruff"
            "$VENV/bin/ruff" check .
            say "import-linter"
            "$VENV/bin/lint-imports"
            say "pytest (fast lane)"
            exec "$VENV/bin/pytest" -n auto -m "not broker and not browser and not slow" "$@"
        fi
        apt_install requirements/apt-test.txt
        venv dev
        say "ruff"
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        say "import-linter (the layers of docs/architecture.md)"
        "$VENV/bin/lint-imports"
        say "mypy"
        "$VENV/bin/mypy"
        say "pytest (two workers; each test file stays on one worker for its fixtures)"
        exec "$VENV/bin/pytest" -n "${STATIONKIT_TEST_WORKERS:-2}" --dist loadfile "$@"
        ;;
    *)
        echo "usage: ./run.sh demo | ./run.sh test [--fast] [pytest args]" >&2
        exit 2
        ;;
esac
