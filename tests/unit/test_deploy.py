"""The service definition (deploy/lagesbild.service), checked by systemd's own tools as far as
this machine allows: `systemd-analyze verify` (warnings count: it exits 0 even for a typo) and
the exposure score of `systemd-analyze security`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
UNIT = PROJECT / "deploy" / "lagesbild.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze saknas")


def rendered(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with this checkout's paths (verify checks that the programs exist)."""
    text = (text or UNIT.read_text("utf-8")).replace(
        "/opt/lagesbild/.venv/bin/streamlit", str(Path(sys.executable).with_name("streamlit")))
    text = text.replace("WorkingDirectory=/opt/lagesbild", f"WorkingDirectory={PROJECT}")
    unit = tmp_path / "lagesbild.service"
    unit.write_text(text, "utf-8")
    return unit


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SYSTEMD_ANALYZE), "verify", str(unit)], capture_output=True,
                          text=True, timeout=60)


def test_the_unit_verifies_without_a_single_warning(tmp_path: Path) -> None:
    result = verify(rendered(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_unit_runs_the_dashboard_as_the_issue_asks() -> None:
    lines = UNIT.read_text("utf-8").splitlines()
    for line in ("User=lagesbild", "StateDirectory=lagesbild", "StateDirectoryMode=0710",
                 "Environment=LAGESBILD_DATA=/var/lib/lagesbild", "UMask=0077",
                 "Restart=on-failure", "StandardOutput=journal", "StandardError=journal",
                 "Environment=FORWARDED_ALLOW_IPS=", "NoNewPrivileges=yes",
                 "ProtectSystem=strict"):
        assert line in lines, line
    start = next(i for i, line in enumerate(lines) if line.startswith("ExecStart="))
    command = " ".join(lines[start:start + 2])
    assert "streamlit run app.py" in command and "--server.address 127.0.0.1" in command


def test_the_check_is_not_vacuous(tmp_path: Path) -> None:
    typo = rendered(tmp_path, UNIT.read_text("utf-8").replace("Restart=on-failure",
                                                              "Restart=on-falure"))
    assert "on-falure" in verify(typo).stderr  # exit code 0: only stderr tells
    missing = tmp_path / "missing.service"
    missing.write_text(UNIT.read_text("utf-8"), "utf-8")  # /opt/lagesbild does not exist here
    result = verify(missing)
    assert result.returncode != 0 and "/opt/lagesbild/.venv/bin/streamlit" in result.stderr


def test_the_exposure_to_the_rest_of_the_system_is_low(tmp_path: Path) -> None:
    result = subprocess.run([str(SYSTEMD_ANALYZE), "security", "--offline=yes",
                             str(rendered(tmp_path))], capture_output=True, text=True, timeout=60)
    level = float(result.stdout.split("Overall exposure level for lagesbild.service: ")[1]
                  .split()[0])
    assert level < 5.0, result.stdout
