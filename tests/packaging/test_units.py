"""The shipped unit files: systemd-analyze verify and security, and the promises the unit makes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kcrashd.config.settings import Config
from tests.packaging.conftest import REPO, UNIT, need_tool

MAX_EXPOSURE = 2.0  # "OK" in systemd-analyze's words; the unit scores 1.4 today


def unit_settings(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> every value, in order (systemd allows repeated keys)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def words(settings: dict[str, list[str]], key: str) -> list[str]:
    return [word for value in settings.get(key, []) for word in value.split()]


def verify(root: Path, unit: str = "kcrashd.service") -> subprocess.CompletedProcess[str]:
    # --recursive-errors=no: the unit's own warnings (unknown keys, bad values) fail the run;
    # without it verify exits 0 on them (docs/systemd-rpm.md section 3.3)
    return subprocess.run(
        ["systemd-analyze", "verify", "--recursive-errors=no", "--man=no", f"--root={root}", unit],
        capture_output=True,
        text=True,
    )


def test_unit_verifies_clean(unit_root: Path) -> None:
    result = verify(unit_root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("ProtectSystem=strict", "ProtectSytem=strict"),
        ("WatchdogSec=60s", "WatchdogSec=sixty"),
        ("Type=notify", "Type=notfy"),
    ],
)
def test_verify_fails_on_a_typo(unit_root: Path, good: str, bad: str) -> None:
    """The gate above can fail: a typo in a copy of the unit makes verify exit non-zero."""
    copy = unit_root / "usr/lib/systemd/system/kcrashd.service"
    text = copy.read_text()
    assert good in text
    copy.write_text(text.replace(good, bad))
    result = verify(unit_root)
    assert result.returncode != 0
    assert "kcrashd.service" in result.stderr


def exposure(unit: Path) -> float:
    need_tool("systemd-analyze")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


def test_exposure_is_ok() -> None:
    score = exposure(UNIT)
    assert score <= MAX_EXPOSURE, f"exposure {score} > {MAX_EXPOSURE}"


def test_exposure_threshold_gate(tmp_path: Path) -> None:
    """`--threshold` (in tenths) passes for the unit and fails for an unhardened copy."""
    need_tool("systemd-analyze")
    gate = [
        "systemd-analyze",
        "security",
        "--offline=true",
        "--no-pager",
        f"--threshold={int(MAX_EXPOSURE * 10)}",
    ]
    assert subprocess.run([*gate, str(UNIT)], capture_output=True).returncode == 0
    bare = tmp_path / "kcrashd.service"
    bare.write_text("[Service]\nType=notify\nExecStart=/usr/bin/kcrashd run\n")
    assert subprocess.run([*gate, str(bare)], capture_output=True).returncode != 0


def test_security_json_names_what_is_left() -> None:
    """The remaining exposure is only what docs/install.md explains (network, the capability, ...)."""
    need_tool("systemd-analyze")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--json=short", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        check=True,
    )
    failing = {
        item["name"] for item in json.loads(result.stdout) if item["set"] is False and item.get("exposure")
    }
    explained = {
        "PrivateNetwork=",
        "RestrictAddressFamilies=~AF_(INET|INET6)",
        "RestrictAddressFamilies=~AF_UNIX",
        "IPAddressDeny=",
        "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
        "AmbientCapabilities=",
        "SupplementaryGroups=",
        "RootDirectory=/RootImage=",
        "DeviceAllow=",
    }
    assert failing <= explained, failing - explained


def test_unit_promises() -> None:
    s = unit_settings(UNIT)
    assert s["Service.Type"] == ["notify"]
    assert s["Service.ExecStart"] == ["/usr/bin/kcrashd run"]
    assert s["Service.Restart"] == ["on-failure"]
    assert s["Service.WatchdogSec"]
    assert "-HUP $MAINPID" in s["Service.ExecReload"][0]
    after = words(s, "Unit.After")
    for unit in ("kdump.service", "kdump-tools.service", "systemd-pstore.service", "local-fs.target"):
        assert unit in after
    # triage and the journal never wait for the network; the outbox delivers later
    assert "network-online.target" not in after + words(s, "Unit.Wants") + words(s, "Unit.Requires")
    assert words(s, "Service.CapabilityBoundingSet") == ["CAP_DAC_READ_SEARCH"]
    assert words(s, "Service.AmbientCapabilities") == ["CAP_DAC_READ_SEARCH"]
    assert s["Service.ProtectSystem"] == ["strict"]
    assert s["Service.StateDirectory"] == ["kcrashd"]
    assert "systemd-journal" in words(s, "Service.SupplementaryGroups")
    assert "@system-service" in words(s, "Service.SystemCallFilter")
    assert s["Install.WantedBy"] == ["multi-user.target"]


def test_default_sources_visible_read_only() -> None:
    """Every default source is read-only in the sandbox and none is hidden."""
    s = unit_settings(UNIT)
    read_only = {w.lstrip("-") for w in words(s, "Service.ReadOnlyPaths")}
    hidden = {
        w.lstrip("-") for w in words(s, "Service.InaccessiblePaths") + words(s, "Service.TemporaryFileSystem")
    }
    defaults = Config().sources
    for path in [*map(str, defaults.dump_paths), str(defaults.pstore_path)]:
        assert path in read_only
        assert not any(path == h or path.startswith(h.split(":")[0] + "/") for h in hidden), path
    for journal in ("/var/log/journal", "/run/log/journal"):
        assert not any(journal.startswith(h.split(":")[0]) for h in hidden)
    assert str(Config().state.state_dir) == "/var/lib/" + s["Service.StateDirectory"][0]


def test_tmpfiles_creates_credentials_dir(tmp_path: Path) -> None:
    """LoadCredential= of a missing directory stops the unit from starting; tmpfiles.d recreates it."""
    need_tool("systemd-tmpfiles")
    s = unit_settings(UNIT)
    credential_dir = s["Service.LoadCredential"][0].split(":", 1)[1]
    conf = tmp_path / "kcrashd.conf"
    shutil.copyfile(REPO / "systemd/kcrashd.tmpfiles", conf)
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create", str(conf)], check=True)
    made = root / credential_dir.lstrip("/")
    assert made.is_dir()
    assert made.stat().st_mode & 0o777 == 0o700


# secret stores the daemon never needs (issue 12): hidden, each named by what it protects
SECRET_STORES = {
    "credential stores": ["/etc/credstore", "/etc/credstore.encrypted", "/run/credstore",
                          "/run/credstore.encrypted", "/var/lib/systemd/credential.secret"],
    "keytabs": ["/etc/krb5.keytab", "/etc/krb5kdc", "/var/kerberos/krb5kdc"],
    "NetworkManager": ["/etc/NetworkManager/system-connections"],
    "WireGuard": ["/etc/wireguard"],
    "TLS private keys": ["/etc/pki/tls/private", "/etc/ssl/private"],
    "SSH host keys": ["/etc/ssh"],
    "password hashes": ["/etc/shadow", "/etc/gshadow"],
}  # fmt: skip
# what the daemon reads under the sandbox: none of it may be hidden
NEEDED = [
    "/etc/kcrashd/kcrashd.toml", "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/usr/share/ca-certificates", "/etc/machine-id",
    "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
    "/run/credentials/kcrashd.service/kcrashd_token", "/var/lib/kcrashd/state.db", "/var/lib/sss/pipes/nss",
    "/var/lib/sss/mc/passwd", "/run/systemd/journal/socket", "/var/log/journal",
]  # fmt: skip


def hidden_paths() -> list[str]:
    return [word.lstrip("-") for word in words(unit_settings(UNIT), "Service.InaccessiblePaths")]


def is_under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


@pytest.mark.parametrize("store", sorted(SECRET_STORES))
def test_secret_stores_are_hidden(store: str) -> None:
    hidden = hidden_paths()
    for path in SECRET_STORES[store]:
        assert any(is_under(path, top) for top in hidden), f"{store}: {path} is readable by the daemon"


def test_what_the_daemon_reads_stays_visible() -> None:
    """The unit's own credentials, the configuration, TLS trust, name service, state, journal."""
    hidden = hidden_paths()
    assert all(word.startswith("-") for word in words(unit_settings(UNIT), "Service.InaccessiblePaths"))
    for path in NEEDED:
        assert not any(is_under(path, top) for top in hidden), f"{path} is hidden from the daemon"
    assert "/run/credentials" not in hidden and "/run" not in hidden


def documented_dropin() -> str:
    """The IPAddressAllow= drop-in of docs/install.md, as an administrator would copy it."""
    text = (REPO / "docs/install.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```\n(.*?)^```", text, re.M | re.S)
    (block,) = [b for b in blocks if "IPAddressAllow=" in b]
    return block


def test_the_documented_ip_allow_list_dropin_verifies_and_lowers_the_exposure(unit_root: Path) -> None:
    text = documented_dropin()
    first = text.splitlines()[0]
    assert first == "# /etc/systemd/system/kcrashd.service.d/network.conf"
    dropin = unit_root / first.removeprefix("# /")
    dropin.parent.mkdir(parents=True)
    dropin.write_text(text)
    result = verify(unit_root)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    command = ["systemd-analyze", "security", "--offline=true", "--no-pager", f"--root={unit_root}"]
    result = subprocess.run([*command, "--json=short", "kcrashd.service"], capture_output=True, text=True, check=True)
    items = {item["name"]: item for item in json.loads(result.stdout)}
    assert items["IPAddressDeny="]["description"] == "Service defines IP address allow list with non-localhost entries"
    result = subprocess.run([*command, "kcrashd.service"], capture_output=True, text=True, check=True)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found and float(found.group(1)) < exposure(UNIT)
