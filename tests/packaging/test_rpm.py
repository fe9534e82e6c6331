"""The RPM: builds with rpmbuild, rpmlint reports 0 errors, installs into a scratch root with the
expected files, and what it installs works there (unit verifies, catalog compiles, man pages render)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.conftest import HOST_UNITS, REPO, need_tool

pytestmark = pytest.mark.skipif(
    shutil.which("rpmbuild") is None, reason="rpmbuild not installed (apt-get install rpm)"
)

# Everything but the Python modules, which are checked by sample below.
EXPECTED = {
    "/etc/kcrashd": "d 755",
    "/etc/kcrashd/credentials": "d 700",
    "/etc/kcrashd/kcrashd.d": "d 755",
    "/etc/kcrashd/grouping.d": "d 755",
    "/etc/kcrashd/kcrashd.toml": "- 644",
    "/usr/bin/kcrashd": "- 755",
    "/usr/lib/systemd/catalog/kcrashd.catalog": "- 644",
    "/usr/lib/systemd/system/kcrashd.service": "- 644",
    "/usr/lib/tmpfiles.d/kcrashd.conf": "- 644",
    "/usr/share/man/man5/kcrashd.toml.5.gz": "- 644",
    "/usr/share/man/man8/kcrashd.8.gz": "- 644",
}
IN_ROOT = Path("/var/lib/rpm")  # with --root, the database inside the scratch root
DOCS = {"README.md", "CHANGELOG.md", "install.md", "LICENSE", "NOTICE"}
# files that point a reader at a document: each one they name is installed
POINTERS = ("docs/man/kcrashd.8.md", "docs/man/kcrashd.toml.5.md", "etc/kcrashd/kcrashd.toml", "systemd/kcrashd.catalog")
DOC_REFERENCE = re.compile(r"(?:\bdocs/|/usr/share/doc/kcrashd/)([a-z][a-z-]*\.md)")


def rpm_tool(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """rpm with a database of its own: Debian's rpm would otherwise create ~/.rpmdb."""
    return subprocess.run(["rpm", "--dbpath", str(db), *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """scripts/build-rpm.sh into a scratch top directory (%check is left to `make rpm`)."""
    top = tmp_path_factory.mktemp("rpmtop")
    env = dict(os.environ, RPM_TOPDIR=str(top))
    result = subprocess.run(
        [str(REPO / "scripts/build-rpm.sh"), "--nocheck", "--no-lint"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (binary,) = (top / "RPMS/noarch").glob("kcrashd-*.noarch.rpm")
    (source,) = (top / "SRPMS").glob("kcrashd-*.src.rpm")
    yield {"binary": binary, "source": source, "top": top, "db": top / "rpmdb"}


def test_rpmlint_reports_no_errors(built: dict[str, Path]) -> None:
    need_tool("rpmlint")
    result = subprocess.run(
        [
            "rpmlint",
            "-r",
            str(REPO / "rpm/kcrashd.rpmlintrc"),
            str(built["binary"]),
            str(built["source"]),
            str(REPO / "rpm/kcrashd.spec"),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, HOME=str(built["top"])),  # its rpm database goes to $HOME/.rpmdb
    )
    print(result.stdout)
    assert " 0 errors" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_metadata(built: dict[str, Path]) -> None:
    info = rpm_tool(
        "-qp", "--qf", "%{NAME} %{ARCH} %{LICENSE}\n", str(built["binary"]), db=built["db"]
    ).stdout
    assert info.strip() == "kcrashd noarch Apache-2.0"
    config = rpm_tool(
        "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", str(built["binary"]), db=built["db"]
    ).stdout
    assert "cn /etc/kcrashd/kcrashd.toml" in config.splitlines()  # %config(noreplace)
    scripts = rpm_tool("-qp", "--scripts", str(built["binary"]), db=built["db"]).stdout
    assert "preset kcrashd.service" in scripts
    assert "disable --now kcrashd.service" in scripts
    assert "try-restart kcrashd.service" in scripts
    # systemd's own file trigger compiles the catalog (built here without %rhel: not EL8)
    assert "journalctl --update-catalog" not in scripts
    requires = rpm_tool("-qp", "--requires", str(built["binary"]), db=built["db"]).stdout
    if "python3" in requires and "dist(" in requires:  # the generator needs python3-packaging
        assert "dist(pydantic)" in requires
        assert "dist(systemd-python)" in requires


@pytest.fixture(scope="module")
def scratch(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The RPM installed into an empty root (no scriptlets: there is no /bin/sh in it)."""
    root = tmp_path_factory.mktemp("scratch")
    assert rpm_tool("--root", str(root), "--initdb", db=IN_ROOT).returncode == 0
    result = rpm_tool(
        "--root", str(root), "-ivh", "--nodeps", "--noscripts", str(built["binary"]), db=IN_ROOT
    )
    assert result.returncode == 0, result.stderr
    return root


def test_installed_file_list(scratch: Path) -> None:
    listed = rpm_tool("--root", str(scratch), "-ql", "kcrashd", db=IN_ROOT).stdout.split()
    for path, kind_mode in EXPECTED.items():
        assert path in listed, path
        st = (scratch / path.lstrip("/")).lstat()
        kind = "d" if (scratch / path.lstrip("/")).is_dir() else "-"
        assert f"{kind} {st.st_mode & 0o777:o}" == kind_mode, path
    python = [p for p in listed if "/site-packages/" in p]
    for module in ("kcrashd/__init__.py", "kcrashd/cli/admin.py", "kcrashd/cli/doctor.py", "kcrashd/config/settings.py"):
        assert any(p.endswith("/site-packages/" + module) for p in python), module
    assert any(p.endswith(".dist-info/METADATA") for p in python)
    assert {Path(p).name for p in listed if p.startswith("/usr/share/")} >= DOCS
    docs = {Path(p).name for p in listed if p.startswith("/usr/share/doc/kcrashd/")}
    named = {name for pointer in POINTERS for name in DOC_REFERENCE.findall((REPO / pointer).read_text())}
    assert named and named <= docs, f"named but not installed: {sorted(named - docs)}"
    for name in ("alerting.md", "journal-fields.md", "webhook-schema.md", "report-schema.md"):
        assert name in docs, name
    unexpected = [
        p
        for p in listed
        if p not in EXPECTED
        and "/site-packages/" not in p
        and not p.startswith(("/usr/share/doc/kcrashd", "/usr/share/licenses/kcrashd"))
    ]
    assert unexpected == []
    # the state directory belongs to StateDirectory= (DynamicUser symlinks it), never the package
    assert not any(p.startswith("/var/lib/kcrashd") for p in listed)
    verify = rpm_tool("--root", str(scratch), "-V", "--nodeps", "kcrashd", db=IN_ROOT)
    assert verify.stdout.strip() == "", verify.stdout


def test_installed_config_equals_shipped(scratch: Path) -> None:
    assert (scratch / "etc/kcrashd/kcrashd.toml").read_bytes() == (
        REPO / "etc/kcrashd/kcrashd.toml"
    ).read_bytes()


def test_installed_unit_verifies(scratch: Path, tmp_path: Path) -> None:
    need_tool("systemd-analyze")
    root = tmp_path / "root"
    shutil.copytree(scratch, root, symlinks=True)
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    kill = root / "usr/bin/kill"
    kill.write_text("#!/bin/sh\n")
    kill.chmod(0o755)
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy(kill, root / "bin/kill")
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--recursive-errors=no",
            "--man=no",
            f"--root={root}",
            "kcrashd.service",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_installed_catalog_compiles(scratch: Path, tmp_path: Path) -> None:
    need_tool("journalctl")
    root = tmp_path / "root"
    shutil.copytree(scratch, root, symlinks=True)
    assert (
        subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], capture_output=True).returncode
        == 0
    )
    listing = subprocess.run(
        ["journalctl", f"--root={root}", "--list-catalog"], capture_output=True, text=True, check=True
    ).stdout
    assert "kcrashd" in listing


def test_installed_man_pages_render(scratch: Path) -> None:
    need_tool("groff")
    for page in ("man8/kcrashd.8.gz", "man5/kcrashd.toml.5.gz"):
        roff = subprocess.run(
            ["gzip", "-dc", str(scratch / "usr/share/man" / page)], capture_output=True, check=True
        ).stdout
        result = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=roff, capture_output=True)
        assert result.returncode == 0
        assert result.stderr == b"", result.stderr.decode()
        assert b'.SH "NAME"' in roff or b".SH NAME" in roff


def test_bundled_variant_parses(tmp_path: Path) -> None:
    """`--with bundled` (EL8/EL9) expands to the private venv layout; it is built by `--bundled`."""
    need_tool("rpmspec")
    args = ["rpmspec", "-P", "--with", "bundled", str(REPO / "rpm/kcrashd.spec")]
    if not rpm_tool("--eval", "%{?fedora}%{?rhel}", db=tmp_path / "rpmdb").stdout.strip():
        args[1:1] = [f"--load={REPO / 'rpm/macros.debian-ci'}"]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "BuildArch:      noarch" not in result.stdout
    assert "/usr/lib/kcrashd/bin/python -m pip install --no-index" in result.stdout
    assert "%pyproject" not in result.stdout


def expand_spec(tmp_path: Path, *args: str) -> str:
    """`rpmspec -P` of the spec with `args`, with Debian's fallback macros where rpm has no %fedora/%rhel."""
    need_tool("rpmspec")
    command = ["rpmspec", "-P", *args, str(REPO / "rpm/kcrashd.spec")]
    if not rpm_tool("--eval", "%{?fedora}%{?rhel}", db=tmp_path / "rpmdb").stdout.strip():
        command[1:1] = [f"--load={REPO / 'rpm/macros.debian-ci'}"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_catalog_updated_by_the_package_only_on_el8(tmp_path: Path) -> None:
    """systemd's file trigger on the catalog directory does it elsewhere (Fedora, EL9, EL10)."""
    el8 = expand_spec(tmp_path, "--define", "rhel 8", "--with", "bundled")
    post = el8.split("\n%post\n", 1)[1].split("\n%preun", 1)[0]
    assert "journalctl --update-catalog" in post
    assert "journalctl --update-catalog" in el8.split("\n%postun\n", 1)[1].split("\n%files", 1)[0]
    for other in (("--define", "rhel 9", "--with", "bundled"), ("--define", "rhel 10"), ("--define", "fedora 42")):
        assert "update-catalog" not in expand_spec(tmp_path, *other).split("\n%post\n", 1)[1], other


def test_bundled_variant_provides_each_bundled_wheel(tmp_path: Path) -> None:
    """Fedora's bundling guidelines: `Provides: bundled(python3dist(NAME)) = VERSION` from Source2."""
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    for name in ("pydantic_core-2.27.1-cp311-cp311-manylinux_2_17_x86_64.whl", "systemd-python-235.tar.gz",
                 "typing_extensions-4.12.2-py3-none-any.whl", "setuptools-75.1.0-py3-none-any.whl",
                 "kcrashd-0.1.0-py3-none-any.whl", "wheel-0.44.0-py3-none-any.whl"):  # fmt: skip
        (vendor / name).touch()
    listing = subprocess.run(
        [sys.executable, str(REPO / "scripts/bundled-provides.py"), "vendor", str(vendor)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert listing.splitlines() == [
        "bundled(python3dist(pydantic-core)) = 2.27.1",
        "bundled(python3dist(systemd-python)) = 235",
        "bundled(python3dist(typing-extensions)) = 4.12.2",
    ]
    sources = tmp_path / "SOURCES"
    sources.mkdir()
    (sources / "kcrashd-vendor-0.1.0.provides").write_text(listing)
    spec = expand_spec(tmp_path, "--with", "bundled", "--define", f"_sourcedir {sources}")
    provides = [line.split(None, 1)[1] for line in spec.splitlines() if line.startswith("Provides:")]
    assert provides == listing.splitlines()
    assert "bundled-provides.py installed > bundled.installed" in spec and "diff -u " in spec


def test_installed_listing_names_this_interpreters_distributions() -> None:
    """The %install check's side: what a venv holds, without the build tools."""
    listing = subprocess.run(
        [sys.executable, str(REPO / "scripts/bundled-provides.py"), "installed"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert any(line.startswith("bundled(python3dist(pydantic)) = 2.") for line in listing), listing
    assert not any("(pip)" in line or "(setuptools)" in line or "(kcrashd)" in line for line in listing)


def test_linters_are_no_build_dependencies() -> None:
    """%pyproject_buildrequires -x test turns the test extra into BuildRequires: no linters there,
    and `make test` still installs them from the lint extra."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {extra: {re.split(r"[<>=!~ \[]", dep, maxsplit=1)[0] for dep in deps} for extra, deps in extras.items()}
    assert not names["test"] & {"ruff", "mypy", "types-requests"}
    assert names["lint"] >= {"ruff", "mypy"}
    assert "-x test\n" in (REPO / "rpm/kcrashd.spec").read_text()
    assert ".[test,lint]" in (REPO / "scripts/bootstrap.sh").read_text()


def test_build_refuses_a_venv_without_pytest_up_front(tmp_path: Path) -> None:
    """`make demo` makes a .venv without pytest; `scripts/build-rpm.sh` used to fail deep in %check."""
    python = next((p for p in ("/usr/bin/python3", "/bin/python3") if Path(p).exists()), None)
    if python is None or subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode == 0:
        pytest.skip("needs a python3 without pytest to stand for `make demo`'s venv")
    if rpm_tool("--eval", "%{?fedora}%{?rhel}", db=tmp_path / "rpmdb").stdout.strip():
        pytest.skip("on Fedora/RHEL %check uses the distribution's python3")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{REPO}", str(clone)], check=True)
    (clone / ".venv/bin").mkdir(parents=True)
    (clone / ".venv/bin/python").symlink_to(python)
    result = subprocess.run(
        [str(clone / "scripts/build-rpm.sh"), "--no-lint"], cwd=clone, capture_output=True, text=True,
        env=dict(os.environ, RPM_TOPDIR=str(tmp_path / "top")),
    )  # fmt: skip
    assert result.returncode == 1
    assert "run scripts/bootstrap.sh test (make rpm does), or pass --nocheck" in result.stderr, result.stderr
