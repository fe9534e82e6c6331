#!/usr/bin/env bash
# Make this checkout ready: Debian packages that are missing, then .venv with kcrashd installed.
# Usage: scripts/bootstrap.sh [base|test]   (test adds the packages the test suite runs for real)
set -euo pipefail
cd "$(dirname "$0")/.."
level=${1:-base}

lists=(scripts/apt-base.txt)
if [ "$level" = test ]; then
    lists+=(scripts/apt-test.txt)
    for extra in lab/apt-packages.txt tests/*/apt-packages.txt; do
        [ -f "$extra" ] && lists+=("$extra")
    done
fi

if command -v dpkg-query >/dev/null 2>&1; then
    want=$(grep -hv '^\s*#' "${lists[@]}" | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
    missing=()
    for pkg in $want; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "bootstrap: installing Debian packages: ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
elif command -v rpm >/dev/null 2>&1; then
    echo "bootstrap: on Fedora/RHEL install: gcc python3-devel systemd-devel pkgconf-pkg-config" >&2
fi

py=${PYTHON:-python3}
stamp=".venv/.kcrashd-$level-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    [ -x .venv/bin/python ] || "$py" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    if [ "$level" = test ]; then
        .venv/bin/python -m pip install -q -e '.[test,lint]'   # lint: ruff and mypy
    else
        .venv/bin/python -m pip install -q -e .
    fi
    rm -f .venv/.kcrashd-"$level"-*
    touch "$stamp"
fi
