"""The security review's findings in a real server and a real Chromium: `streamlit run app.py`
with its request guard, in localhost mode and, with local accounts, behind Caddy with TLS
(deploy/Caddyfile as it is).

Finding 7: a foreign Host (DNS rebinding), a cross-origin websocket and forwarding headers are
refused in localhost mode; the start page says it is for one person on one computer; the page
is Swedish (`lang="sv"`). With accounts the app sits behind the TLS proxy, which replaces a
spoofed X-Forwarded-For, and refuses a start that would let uvicorn rewrite the peer.
Finding 6: a guesser locks only its own address. Finding 3: a removed account loses access at
its next click, and an idle tab is signed out by itself.

Three server starts in all: one per mode (module-scoped) and one that must refuse to start.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import httpx
import pytest

from lagesbild.access import accounts, policy, roles
from lagesbild.domain import config
from lagesbild.domain.periods import latest_complete_quarter, quarter_start, shift_quarter
from lagesbild.store import Store, audit
from tests.helpers.browser import (
    CHROMIUM_ARGS,
    PROJECT,
    WIDTH,
    free_port,
    missing,
    need_chromium,
    streamlit_server,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

SITE = "lagesbild.test"
PASSWORD = "ett-långt-lösenord-2026"
IDLE_MINUTES = 0.4  # 24 seconds in the proxy server's settings
TIMEOUT = 30_000
CADDY = shutil.which("caddy")


# -- servers -------------------------------------------------------------------------------------
# What an adversary puts in a link, an event title, an activity or a code list (findings 1, 2).
HOSTILE = ("**x** [länk](https://evil.example/p) ![bild](http://evil.example/i.png) "
           "<img src=http://evil.example/e.png onerror=alert(1)> \x1b[2K")
SHOWN = HOSTILE.replace("\x1b", "\\x1b")  # what the page shows: the escape written out


def hostile_data(db: Path, folder: Path) -> Path:
    """An event title and an overdue activity in the database, and a code-list description in
    a copy of data/, all hostile; returns the copy."""
    today = dt.date.today()
    quarter = shift_quarter(latest_complete_quarter(today), -1)
    store = Store.open(db)
    try:
        analyst = roles.User("anna", roles.ANALYTIKER, "lokal")
        policy.add_event(store, analyst, quarter_start(quarter) + dt.timedelta(days=10),
                         "Nationell hotnivå", HOSTILE[:80], today)
        policy.save_activity(store, analyst, {
            "aktivitet": HOSTILE[:120], "mal": "Målet", "omrade": "Samverkan",
            "ansvarig": "UmeBrå", "start_kvartal": "2024K1",
            "klart_kvartal": latest_complete_quarter(today), "status": "Pågår"}, today)
        # the code lists live in the database: the hostile description is a new version
        import csv
        import io

        from lagesbild.intake.codelists import csv_bytes, import_codelist

        rows = list(csv.reader(io.StringIO(csv_bytes("former").decode("utf-8"))))
        rows[1][rows[0].index("beskrivning")] = HOSTILE
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        result = import_codelist(store, out.getvalue().encode("utf-8"), "former.csv",
                                 "former", "anna")
        assert result.accepted, [p.message() for p in result.problems]
    finally:
        store.close()
    data = folder / "data"
    shutil.copytree(config.DATA_DIR, data, ignore=shutil.ignore_patterns(
        "*.duckdb*", "konton.json", "roller.toml", "historik", "*.trasig-*", "*.ersatt-*"))
    path = data / "kodlistor" / "former.csv"
    lines = path.read_text("utf-8-sig").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + f',"{HOSTILE}"'
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return data


def demo_copy(demo_db_file: Path, folder: Path) -> Path:
    db = folder / "demo.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    return db


@pytest.fixture(scope="module")
def local(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localhost mode: no sign-in, one person on this computer; hostile texts in the data."""
    folder = tmp_path_factory.mktemp("lokal")
    db = demo_copy(demo_db_file, folder)
    data = hostile_data(db, folder)
    with streamlit_server(db, env={"LAGESBILD_DATA": str(data)}) as url:
        yield url


@pytest.fixture(scope="module")
def proxied(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Local accounts (proxy mode): the host name of the site, a short idle time."""
    folder = tmp_path_factory.mktemp("proxy")
    db = demo_copy(demo_db_file, folder)
    konton = folder / "konton.json"
    for name, role in (("anna", "analytiker"), ("bo", "beredningsgrupp"),
                       ("cecilia", "analytiker"), ("dag", "analytiker")):
        accounts.add_user(konton, name, role, PASSWORD)
    settings = folder / "installningar.toml"
    settings.write_text(f'[server]\nvardnamn = ["{SITE}"]\nproxy = ["127.0.0.1"]\n\n'
                        f"[inloggning]\ninaktiv_minuter = {IDLE_MINUTES}\n", "utf-8")
    env = {accounts.ACCOUNTS_ENV: str(konton), config.SETTINGS_ENV: str(settings)}
    expected: list[tuple[str, str, str]] = []  # sign-ins the tests made: (name, outcome, from)
    with streamlit_server(db, env=env) as url:
        yield {"url": url, "port": urlparse(url).port, "db": db, "accounts": konton,
               "expected": expected}
    # The server held the database; now the audit log can be read: every sign-in names the
    # address the request guard saw (Caddy's replacement, not the spoofed header).
    store = Store.open(db)
    try:
        log = audit.entries(store, action="inloggning")
    finally:
        store.close()
    logged = {(a, o, d.rsplit(", ", 1)[-1]) for a, o, d in
              zip(log["actor"], log["outcome"], log["details"].fillna(""), strict=True)}
    assert set(expected) <= logged, (expected, logged)
    assert not any("203.0.113.99" in d for d in log["details"].fillna(""))


@pytest.fixture(scope="module")
def caddy(proxied: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Caddy from Debian's package with deploy/Caddyfile, TLS from its own local CA."""
    if CADDY is None:  # in CI this fails: `make test` installs Caddy with Chromium
        missing("Caddy saknas. Installera med `apt-get install caddy` (make test gör det).")
    base = tmp_path_factory.mktemp("caddy")
    port = free_port()
    wrapper = base / "Caddyfile"
    # test-only global options; the site block is the deploy file itself
    wrapper.write_text(
        "{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n"
        "\tdefault_bind 127.0.0.1\n\tservers {\n\t\tprotocols h1 h2\n\t}\n}\n"
        f"import {PROJECT / 'deploy' / 'Caddyfile'}\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(base), "XDG_DATA_HOME": str(base / "data"),
           "XDG_CONFIG_HOME": str(base / "config"), "LAGESBILD_SITE": f"https://{SITE}:{port}",
           "LAGESBILD_TLS": "internal", "LAGESBILD_UPSTREAM": f"127.0.0.1:{proxied['port']}"}
    log = base / "caddy.log"
    with log.open("wb") as out:
        process = subprocess.Popen([CADDY, "run", "--config", str(wrapper), "--adapter",
                                    "caddyfile"], env=env, stdout=out, stderr=subprocess.STDOUT)
    root = base / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            if root.exists() and curl(port, root, "/_stcore/health").returncode == 0:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"Caddy startade inte:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield {"port": port, "root": root, "url": f"https://{SITE}:{port}"}
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    chromium = need_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {SITE} 127.0.0.1"])
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser, **options):  # noqa: ANN001, ANN003, ANN201
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, locale="sv-SE",
                                  **options)
    page = context.new_page()
    page.elsewhere = []
    page.on("request", lambda r: page.elsewhere.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", "localhost", SITE)
            and not r.url.startswith("data:") else None)
    return page


def curl(port: int, ca: Path, path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--fail", "--cacert", str(ca),
                           "--resolve", f"{SITE}:{port}:127.0.0.1", *args,
                           f"https://{SITE}:{port}{path}"],
                          capture_output=True, text=True, timeout=20, check=False)


def status_line(port: int, request: bytes, tls_ca: Path | None = None) -> int:
    """The HTTP status of raw request bytes (for requests httpx would not send)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        sock: socket.socket = raw
        if tls_ca is not None:
            context = ssl.create_default_context(cafile=str(tls_ca))
            context.set_alpn_protocols(["http/1.1"])
            sock = context.wrap_socket(raw, server_hostname=SITE)
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b"\r\n", 1)[0].split()[1])


def upgrade(port: int, host: str, origin: str | None, extra: str = "",
            tls_ca: Path | None = None) -> int:
    """The status of a websocket upgrade of /_stcore/stream (101 = accepted)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /_stcore/stream HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    if extra:
        lines.append(extra)
    return status_line(port, ("\r\n".join(lines) + "\r\n\r\n").encode(), tls_ca)


def sign_in(page, name: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=TIMEOUT)
    page.get_by_label("Användarnamn", exact=True).fill(name)
    page.get_by_label("Lösenord", exact=True).fill(password)
    page.get_by_role("button", name="Logga in").click()


def signed_in(page) -> None:  # noqa: ANN001
    page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=TIMEOUT)
    wait_until_idle(page)


# -- localhost mode (finding 7) ------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/trender", "/_stcore/health", "/_stcore/host-config",
                                  "/static/../index.html"])
def test_localhost_mode_answers_no_foreign_host(local: str, path: str) -> None:
    """Streamlit answered `Host: rebind.example` (the precondition for DNS rebinding)."""
    port = urlparse(local).port
    for host in ("rebind.example", f"rebind.example:{port}", "127.0.0.1.nip.io", ""):
        assert httpx.get(f"{local}{path}", headers={"Host": host}).status_code == 403
    assert httpx.get(f"{local}/_stcore/health",
                     headers={"Host": f"localhost:{port}"}).text == "ok"


def test_localhost_mode_accepts_only_same_origin_websockets(local: str) -> None:
    port = urlparse(local).port
    assert upgrade(port, f"localhost:{port}", f"http://localhost:{port}") == 101
    assert upgrade(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 101
    assert upgrade(port, f"rebind.example:{port}", f"http://rebind.example:{port}") == 403
    assert upgrade(port, f"localhost:{port}", f"http://rebind.example:{port}") == 403
    assert upgrade(port, f"localhost:{port}", None) == 403


def test_localhost_mode_refuses_a_reverse_proxy_in_front(local: str) -> None:
    """A proxy on the same host would have made every visitor the analyst."""
    port = urlparse(local).port
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"):
        assert httpx.get(f"{local}/", headers={header: "203.0.113.9"}).status_code == 403
        assert upgrade(port, f"localhost:{port}", f"http://localhost:{port}",
                       f"{header}: 203.0.113.9") == 403


def test_the_start_page_is_swedish_and_for_one_person_on_one_computer(local: str,
                                                                       browser) -> None:
    page = new_page(browser)
    try:
        for path, heading in (("/", "Översikt"), ("/trender", "Trender")):
            page.goto(f"{local}{path}")
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=TIMEOUT)
            assert page.evaluate("document.documentElement.lang") == "sv", path
        page.goto(local)
        page.get_by_text("En person, en dator.").wait_for(timeout=TIMEOUT)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "till för en person på en dator" in main
        page.get_by_role("link", name="Trender").click()
        page.get_by_role("heading", name="Trender", exact=True).wait_for(timeout=TIMEOUT)
        assert page.evaluate("document.documentElement.lang") == "sv"
        assert page.elsewhere == []
    finally:
        page.context.close()


def visible(page, where: str = '[data-testid="stApp"]') -> str:  # noqa: ANN001
    """The text a reader sees (without the invisible word joiners that keep URLs text)."""
    return page.locator(where).inner_text().replace("\u2060", "")


def test_hostile_texts_show_literally_and_fetch_nothing(local: str, browser) -> None:
    """Findings 1 and 2: a link's values, event titles, overdue activities and code-list
    descriptions rendered as Markdown (a bold warning, a working link to another site, a
    remote image). Now each shows as the text it is; nothing is linked, nothing fetched."""
    page = new_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    echo = "**Sessionen har gått ut.** [Logga in igen här](https://evil.example/p)"
    try:
        page.goto(f"{local}/?fran={quote(echo)}&form={quote('![p](http://evil.example/i.png)')}"
                  f"&omrade={quote('<img src=http://evil.example/e.png onerror=alert(1)>')}")
        page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=TIMEOUT)
        wait_until_idle(page)
        sidebar = visible(page, '[data-testid="stSidebar"]')
        assert "fran=" + echo in sidebar and "form=![p](http://evil.example/i.png)" in sidebar
        assert "<img src=http://evil.example/e.png onerror=alert(1)>" in sidebar
        for path, heading in (("uppfoljning", "Uppföljning av handlingsplanen"),
                              ("trender", "Trender"), ("om", "Om lägesbilden")):
            page.goto(f"{local}/{path}")
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=TIMEOUT)
            wait_until_idle(page)
            if path == "uppfoljning":
                page.get_by_role("tab", name="Aktivitetsplan").click()
                page.locator("strong", has_text="Försenade").wait_for(timeout=TIMEOUT)
                assert SHOWN[:120].strip() in visible(page)  # the overdue activity
            if path == "om":
                assert SHOWN in visible(page)  # the code list's description
            else:
                assert SHOWN[:80].strip() in visible(page)  # the event under the charts
            links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
            images = page.evaluate("[...document.querySelectorAll('img')].map(i => i.src)")
            assert not [u for u in links + images if "evil.example" in u], path
            assert page.locator("strong", has_text="Sessionen").count() == 0
        assert dialogs == []
        assert page.elsewhere == [], page.elsewhere
    finally:
        page.context.close()


# -- with accounts: behind the TLS proxy ---------------------------------------------------------
def test_tls_proxy_serves_the_site_with_a_verified_certificate(caddy: dict) -> None:
    answer = curl(caddy["port"], caddy["root"], "/_stcore/health", "-D", "-")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.rstrip().endswith("ok")
    headers = answer.stdout.lower()
    assert "strict-transport-security: max-age=31536000" in headers
    assert "\nserver:" not in headers
    assert upgrade(caddy["port"], f"{SITE}:{caddy['port']}", f"https://{SITE}:{caddy['port']}",
                   tls_ca=caddy["root"]) == 101
    assert upgrade(caddy["port"], f"{SITE}:{caddy['port']}", "https://rebind.example",
                   tls_ca=caddy["root"]) == 403


def test_sign_in_through_the_tls_proxy(caddy: dict, proxied: dict, browser) -> None:
    """The whole way: https, the websocket through Caddy, the sign-in, the pages. Caddy
    replaces the X-Forwarded-For the browser sends, so the throttle and the log see the real
    address."""
    page = new_page(browser, ignore_https_errors=True,
                    extra_http_headers={"X-Forwarded-For": "203.0.113.99"})
    try:
        page.goto(caddy["url"])
        sign_in(page, "anna")
        signed_in(page)
        assert page.evaluate("document.documentElement.lang") == "sv"
        assert page.get_by_text("anna · Analytiker").count() == 1
        page.get_by_role("link", name="Granskningslogg").click()
        page.get_by_role("heading", name="Granskningslogg", exact=True).wait_for(
            timeout=TIMEOUT)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.elsewhere == []
    finally:
        page.context.close()
    proxied["expected"].append(("anna", audit.OK, "från 127.0.0.1"))


def test_proxy_mode_refuses_a_foreign_host_and_a_forwarder_that_is_not_the_proxy(
        proxied: dict) -> None:
    url, port = proxied["url"], proxied["port"]
    assert httpx.get(f"{url}/", headers={"Host": "rebind.example"}).status_code == 403
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
        assert client.get(f"{url}/", headers={"Host": SITE,
                                              "X-Forwarded-For": "203.0.113.7"}).status_code \
            == 403
    assert upgrade(port, SITE, f"https://{SITE}") == 101
    assert upgrade(port, SITE, "https://rebind.example") == 403


def test_a_guesser_locks_only_its_own_address(proxied: dict, browser) -> None:
    """Finding 6: five wrong attempts per lock period kept any account locked for everyone.
    The browser reaches the app as the proxy would (from 127.0.0.1, with X-Forwarded-For)."""
    guesser = new_page(browser, extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
    owner = new_page(browser, extra_http_headers={"X-Forwarded-For": "198.51.100.7"})
    try:
        for _ in range(accounts.MAX_FAILURES):  # a fresh page each time: one answer each
            guesser.goto(proxied["url"])
            sign_in(guesser, "bo", "fel-lösenord-som-är-långt")
            guesser.get_by_text("Fel användarnamn eller lösenord.").wait_for(timeout=TIMEOUT)
        guesser.goto(proxied["url"])
        sign_in(guesser, "bo")  # even the right password, from the guesser's address
        guesser.get_by_text("För många misslyckade inloggningar").wait_for(timeout=TIMEOUT)
        owner.goto(proxied["url"])
        sign_in(owner, "bo")
        signed_in(owner)
        assert owner.get_by_text("bo · Beredningsgrupp").count() == 1
        proxied["expected"] += [("bo", audit.NEKAD, "från 203.0.113.9"),
                                ("bo", audit.OK, "från 198.51.100.7")]
    finally:
        guesser.context.close()
        owner.context.close()


def test_a_removed_account_loses_access_at_the_next_click(proxied: dict, browser) -> None:
    """Finding 3: after `lagesbild user remove` the open tab still reached Granskningslogg
    and Ladda upp with a working uploader."""
    page = new_page(browser)
    try:
        page.goto(proxied["url"])
        sign_in(page, "cecilia")
        signed_in(page)
        page.get_by_role("link", name="Ladda upp").click()
        page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=TIMEOUT)
        accounts.remove_user(proxied["accounts"], "cecilia")
        page.get_by_role("link", name="Granskningslogg").click()
        page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=TIMEOUT)
        page.get_by_text("ditt konto har ändrats, spärrats eller tagits bort").wait_for(
            timeout=TIMEOUT)
        wait_until_idle(page)
        page.get_by_text("cecilia · Analytiker").wait_for(state="detached", timeout=TIMEOUT)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert "Granskningslogg" not in page.locator('[data-testid="stSidebar"]').inner_text()
    finally:
        page.context.close()


def test_an_idle_tab_is_signed_out_by_itself(proxied: dict, browser) -> None:
    """No idle timeout before: a tab left open stayed signed in for good."""
    page = new_page(browser)
    try:
        page.goto(proxied["url"])
        started = time.monotonic()  # the session's last use is the sign-in, after this
        sign_in(page, "dag")
        signed_in(page)
        page.get_by_role("heading", name="Logga in", exact=True).wait_for(
            timeout=(IDLE_MINUTES * 60 + 40) * 1000)
        assert time.monotonic() - started >= IDLE_MINUTES * 60 - 1
        page.get_by_text("inte har använts på 24 sekunder").wait_for(timeout=TIMEOUT)
        wait_until_idle(page)
        page.get_by_text("dag · Analytiker").wait_for(state="detached", timeout=TIMEOUT)
    finally:
        page.context.close()


def test_proxy_mode_refuses_to_start_while_uvicorn_would_trust_forwarded_for(
        demo_db_file: Path, tmp_path: Path) -> None:
    """uvicorn replaces the peer by X-Forwarded-For before any middleware unless
    FORWARDED_ALLOW_IPS is empty: the start stops with a message saying so."""
    db = demo_copy(demo_db_file, tmp_path)
    konton = tmp_path / "konton.json"
    accounts.add_user(konton, "anna", "analytiker", PASSWORD)
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"}
    env.update({"LAGESBILD_DB": str(db), accounts.ACCOUNTS_ENV: str(konton)})
    answer = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(free_port()), "--browser.gatherUsageStats", "false"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert answer.returncode == 3, answer.stdout + answer.stderr
    assert "FORWARDED_ALLOW_IPS=" in answer.stdout + answer.stderr

