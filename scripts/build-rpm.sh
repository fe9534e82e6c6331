#!/usr/bin/env bash
# Build the kcrashd RPM (and SRPM) from this checkout, then run rpmlint on them.
#
# Usage: scripts/build-rpm.sh [--bundled] [--nocheck] [--no-lint] [--worktree]
#   --bundled   the EL8/EL9 variant: a private venv under /usr/lib/kcrashd (rpm --with bundled);
#               first downloads the dependencies into a vendor tarball (Source1) from PyPI and
#               lists them for the spec's bundled() provides (Source2)
#   --nocheck   skip %check (the unit tests)
#   --no-lint   skip rpmlint
#   --worktree  package the working tree as it is (default: the last commit, HEAD)
# Output: rpmtop/RPMS/*/kcrashd-*.rpm, rpmtop/SRPMS/; RPM_TOPDIR overrides the directory.
#
# On Fedora/RHEL the spec builds with the distribution's macros. Elsewhere (Debian CI)
# rpm/macros.debian-ci supplies what Debian's rpm lacks, build dependencies are not checked
# (--nodeps) and %check runs with the project's .venv (scripts/bootstrap.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."

bundled=0 check=1 lint=1 worktree=0
for arg in "$@"; do
    case "$arg" in
        --bundled) bundled=1 ;;
        --nocheck) check=0 ;;
        --no-lint) lint=0 ;;
        --worktree) worktree=1 ;;
        *) echo "usage: $0 [--bundled] [--nocheck] [--no-lint] [--worktree]" >&2; exit 2 ;;
    esac
done

for tool in rpmbuild git tar; do
    command -v "$tool" >/dev/null || { echo "build-rpm: $tool not found (Debian: apt-get install rpm)" >&2; exit 1; }
done
git cat-file -e HEAD:systemd/kcrashd.catalog || { echo "build-rpm: systemd/kcrashd.catalog not committed" >&2; exit 1; }

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' kcrashd/__init__.py)
top=${RPM_TOPDIR:-$PWD/rpmtop}
rm -rf "$top"
mkdir -p "$top"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

# Source0: the last commit; with --worktree the files git knows about (tracked, plus new ones
# not ignored) as they are now. The checkout may be shared with work in progress.
if [ "$worktree" = 1 ]; then
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - --transform "s|^|kcrashd-$version/|" --owner=0 --group=0 --sort=name \
              -czf "$top/SOURCES/kcrashd-$version.tar.gz"
else
    git archive --format=tar.gz --prefix="kcrashd-$version/" -o "$top/SOURCES/kcrashd-$version.tar.gz" HEAD
fi

args=(--define "_topdir $top")
# Debian's rpm: fallback macros, no build-dependency check against an empty rpm database
distro=$(rpm --define "_dbpath $top/rpmdb" --eval '%{?fedora}%{?rhel}' 2>/dev/null || true)
if [ -z "$distro" ]; then
    args+=(--load=rpm/macros.debian-ci --nodeps --define "_dbpath $top/rpmdb")
    [ -x .venv/bin/python ] && args+=(--define "kcrashd_ci_python $PWD/.venv/bin/python")
    # %check runs the unit tests with .venv: `make demo` makes one without pytest
    if [ "$check" = 1 ] && ! { [ -x .venv/bin/python ] && .venv/bin/python -c 'import pytest' 2>/dev/null; }; then
        echo "build-rpm: %check needs .venv with the test extra: run scripts/bootstrap.sh test (make rpm does), or pass --nocheck" >&2
        exit 1
    fi
fi
[ "$check" = 1 ] || args+=(--nocheck)

if [ "$bundled" = 1 ]; then
    # Source1: kcrashd and every dependency for the bundled venv. systemd-python stays a
    # source distribution: it is compiled on the build host against its libsystemd.
    py=${BUNDLED_PYTHON:-python3.11}
    vendor=$top/vendor-work/vendor
    mkdir -p "$vendor"
    # from Source0, so no build/ directory lands in the checkout
    .venv/bin/python -m pip wheel -q --no-deps --wheel-dir "$vendor" "$top/SOURCES/kcrashd-$version.tar.gz"
    # the runtime dependencies of pyproject.toml; systemd-python separately, as source
    mapfile -t deps < <(.venv/bin/python -c 'import tomllib
for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    print(d)')
    binary=() source=()
    for d in "${deps[@]}"; do case "$d" in systemd-python*) source+=("$d") ;; *) binary+=("$d") ;; esac; done
    .venv/bin/python -m pip download -q --dest "$vendor" --only-binary=:all: \
        --python-version "${py#python}" --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        "${binary[@]}" setuptools wheel
    .venv/bin/python -m pip download -q --dest "$vendor" --no-deps --no-binary=:all: "${source[@]}"
    tar -C "$top/vendor-work" --owner=0 --group=0 --sort=name -czf "$top/SOURCES/kcrashd-vendor-$version.tar.gz" vendor
    # Source2: the spec's Provides: bundled(python3dist(NAME)) = VERSION, one per bundled wheel
    .venv/bin/python scripts/bundled-provides.py vendor "$vendor" > "$top/SOURCES/kcrashd-vendor-$version.provides"
    args+=(--with bundled --define "bundled_python $py")
fi

started=$(date +%s.%N)
rpmbuild -ba "${args[@]}" rpm/kcrashd.spec >"$top/build.log" 2>&1 || {
    tail -40 "$top/build.log" >&2
    echo "build-rpm: rpmbuild failed; full log in $top/build.log" >&2
    exit 1
}
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
echo "build-rpm: built in ${elapsed} s:"
find "$top/RPMS" "$top/SRPMS" -name '*.rpm' -printf '  %p (%s bytes)\n'

if [ "$lint" = 1 ]; then
    command -v rpmlint >/dev/null || { echo "build-rpm: rpmlint not found (apt-get install rpmlint)" >&2; exit 1; }
    # the rpmlintrc filters are explained one by one in the file itself
    # HOME: rpmlint opens an rpm database, by default ~/.rpmdb
    HOME=$top rpmlint -r rpm/kcrashd.rpmlintrc $(find "$top/RPMS" "$top/SRPMS" -name '*.rpm') rpm/kcrashd.spec
fi
