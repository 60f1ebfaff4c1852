"""Helpers for the browser tier: `streamlit run app.py` as a subprocess and Debian's Chromium.

One server helper for every browser test (as Streamlit's own e2e suite shares its app runner):
`streamlit_server` starts the dashboard on a database with every other data file isolated,
waits for its health check and, when it stops, fails the test if the log has a traceback. In
CI (CI=true) a missing Chromium fails the test; elsewhere it skips it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SHOTS = PROJECT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
WIDTH = 1440
IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(message: str) -> None:
    """Fail in CI, skip elsewhere: the browser tests never silently skip in CI."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def need_chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        missing(f"Chromium saknas ({CHROMIUM}). Installera med `apt-get install chromium` "
                "eller ange sökvägen i LAGESBILD_CHROMIUM.")
    return str(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(health: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"Streamlit startade inte:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)


@contextmanager
def streamlit_server(db: Path, env: dict[str, str] | None = None,
                     args: list[str] | None = None, host: str = "127.0.0.1",
                     port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` on `db` with extra environment and options; yields the URL.

    Accounts and roles are files beside `db` (none unless the caller writes them), so the
    developer's own data/konton.json never leaks in. The log may not contain a traceback.
    """
    need_chromium()
    port = port or free_port()
    log = db.parent / f"streamlit-{port}.log"
    full_env = {**os.environ, "LAGESBILD_DB": str(db),
                "LAGESBILD_ACCOUNTS": str(db.parent / "inga_konton.json"),
                "LAGESBILD_ROLES": str(db.parent / "inga_roller.toml"),
                # as the service file does: the request guard, not uvicorn, reads proxy headers
                "FORWARDED_ALLOW_IPS": "", **(env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", *(args or [])],
            cwd=PROJECT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{host}:{port}"
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]


def launch(playwright):  # noqa: ANN001, ANN201 - Playwright's own types
    """Debian's Chromium, headless, with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=need_chromium(), args=CHROMIUM_ARGS)


def wait_until_idle(page) -> None:  # noqa: ANN001
    """Until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def screenshot(page, path: Path) -> None:  # noqa: ANN001
    """Full page: Streamlit scrolls inside its main container, so grow the window to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stSidebarContent\"]')].map(e => e.scrollHeight), 800)")
    page.set_viewport_size({"width": WIDTH, "height": int(height) + 40})
    page.wait_for_timeout(600)  # charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
