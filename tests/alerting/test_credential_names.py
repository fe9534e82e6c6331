"""A credential reference names the secret the same way whether it was loaded one by one or as a
file of the directory the shipped unit loads (systemd prefixes those with `kcrashd_`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.sinks.alerting.secrets import SecretError, resolve


def test_directory_loaded_credential_found_by_its_file_name(tmp_path: Path) -> None:
    (tmp_path / "kcrashd_pd-key").write_text("R0UTINGKEY\n")
    assert resolve("credential:pd-key", {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == "R0UTINGKEY"


def test_single_credential_wins_over_directory_file(tmp_path: Path) -> None:
    (tmp_path / "pd-key").write_text("single")
    (tmp_path / "kcrashd_pd-key").write_text("directory")
    assert resolve("credential:pd-key", {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == "single"


def test_missing_credential_is_an_error_without_value(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="credential:pd-key"):
        resolve("credential:pd-key", {"CREDENTIALS_DIRECTORY": str(tmp_path)})
