"""The request guard (lagesbild.service.guard) as ASGI: Host, Origin, forwarding headers, the
client address handed to the script, the start-up check, and `<html lang="sv">`.

The same rules against a real `streamlit run app.py` are in tests/browser/test_browser_security.py.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from lagesbild.domain import config
from lagesbild.service.guard import (
    CLIENT_HEADER,
    MODE_HEADER,
    GuardPolicy,
    HtmlLang,
    RequestGuard,
    guard_policy,
    host_name,
    same_origin,
)

LOCAL = GuardPolicy("localhost")
PROXY = GuardPolicy("proxy", frozenset({"lagesbild.test", "localhost", "127.0.0.1"}),
                    frozenset({"127.0.0.1"}))
TRUSTING_NOBODY = {"FORWARDED_ALLOW_IPS": ""}


def run(coro: Any) -> Any:
    """asyncio.run in a thread (a Playwright test in the same worker may hold this loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Inner:
    """The app behind the guard: records what it was given."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] == "http":
            await JSONResponse({"ok": True})(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})


def headers(items: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in items.items()]


def http(policy: GuardPolicy, items: dict[str, str], peer: str = "127.0.0.1",
         path: str = "/") -> tuple[int, Inner]:
    inner = Inner()
    guard = RequestGuard(inner, policy=policy, environ=TRUSTING_NOBODY)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": headers(items), "client": (peer, 50000),
             "server": ("127.0.0.1", 8501), "scheme": "http", "http_version": "1.1",
             "root_path": ""}
    run(guard(scope, receive, send))
    return sent[0]["status"], inner


def websocket(policy: GuardPolicy, items: dict[str, str], peer: str = "127.0.0.1") -> str:
    """What the guard answered the upgrade with: "websocket.accept" or "websocket.close"."""
    inner = Inner()
    guard = RequestGuard(inner, policy=policy, environ=TRUSTING_NOBODY)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/_stcore/stream", "raw_path": b"/_stcore/stream",
             "query_string": b"", "headers": headers(items), "client": (peer, 50000),
             "server": ("127.0.0.1", 8501), "scheme": "ws", "root_path": "", "subprotocols": []}
    run(guard(scope, receive, send))
    return sent[0]["type"]


FOREIGN_HOSTS = ["rebind.example", "rebind.example:8501", "localhost.rebind.example",
                 "127.0.0.1.nip.io", "evil@localhost", "localhost/x", "localhost:notaport",
                 "[::1]:8501", "0.0.0.0:8501", "", "localhost, rebind.example"]


# -- localhost mode (finding 7) ----------------------------------------------------------------
@pytest.mark.parametrize("host", ["localhost", "localhost:8501", "127.0.0.1:8501",
                                  "LOCALHOST:8501", "localhost.:8501"])
def test_local_host_names_are_served(host: str) -> None:
    assert http(LOCAL, {"Host": host})[0] == 200


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_a_foreign_host_is_refused_before_streamlit_sees_it(host: str) -> None:
    status, inner = http(LOCAL, {"Host": host})
    assert status == 403 and inner.scopes == []
    assert websocket(LOCAL, {"Host": host, "Origin": f"http://{host}"}) == "websocket.close"


def test_a_request_without_host_or_with_two_is_refused() -> None:
    assert http(LOCAL, {})[0] == 403
    inner = Inner()
    guard = RequestGuard(inner, policy=LOCAL, environ=TRUSTING_NOBODY)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"",
             "headers": [(b"host", b"localhost"), (b"host", b"rebind.example")],
             "client": ("127.0.0.1", 1), "scheme": "http", "root_path": ""}
    run(guard(scope, receive, send))
    assert sent[0]["status"] == 403 and inner.scopes == []


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP",
                                    "X-Forwarded-Host", "X-Forwarded-Proto", "True-Client-IP"])
def test_forwarding_headers_are_refused_in_localhost_mode(header: str) -> None:
    """A reverse proxy in front of localhost mode would make every visitor the analyst."""
    assert http(LOCAL, {"Host": "localhost", header: "203.0.113.9"})[0] == 403
    assert websocket(LOCAL, {"Host": "localhost:8501", "Origin": "http://localhost:8501",
                             header: "203.0.113.9"}) == "websocket.close"


@pytest.mark.parametrize(("host", "origin"), [
    ("localhost:8501", "http://rebind.example:8501"),  # cross-site websocket hijacking
    ("localhost:8501", "http://127.0.0.1:8501"),  # another origin, even if local
    ("localhost:8501", "http://localhost:1"),
    ("localhost:8501", "null"),
    ("localhost:8501", None),  # browsers always send Origin on websockets
])
def test_only_same_origin_websockets_are_accepted(host: str, origin: str | None) -> None:
    items = {"Host": host} if origin is None else {"Host": host, "Origin": origin}
    assert websocket(LOCAL, items) == "websocket.close"
    for same in ("localhost:8501", "127.0.0.1:8501"):
        assert websocket(LOCAL, {"Host": same, "Origin": f"http://{same}"}) == \
            "websocket.accept"


def test_a_cross_origin_upload_is_refused() -> None:
    status, _ = http(LOCAL, {"Host": "localhost", "Origin": "http://rebind.example"},
                     path="/_stcore/upload_file/x/y")
    assert status == 403


def test_the_script_learns_the_client_and_the_mode_and_cannot_be_told_otherwise() -> None:
    status, inner = http(LOCAL, {"Host": "localhost", "X-Lagesbild-Client": "203.0.113.9",
                                 "X-Lagesbild-Mode": "proxy"})
    assert status == 200
    seen = inner.scopes[0]
    values = {k.decode(): v.decode() for k, v in seen["headers"]}
    assert values[CLIENT_HEADER] == "127.0.0.1" and values[MODE_HEADER] == "localhost"
    assert [k for k, _ in seen["headers"]].count(CLIENT_HEADER.encode()) == 1
    assert seen["client"][0] == "127.0.0.1"


# -- proxy mode --------------------------------------------------------------------------------
def test_forwarded_for_from_the_trusted_proxy_gives_the_client() -> None:
    status, inner = http(PROXY, {"Host": "lagesbild.test",
                                 "X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert status == 200
    seen = dict(inner.scopes[0]["headers"])
    # the rightmost entry is the one our proxy added; earlier ones came from the client
    assert seen[CLIENT_HEADER.encode()] == b"203.0.113.7"
    assert inner.scopes[0]["client"][0] == "203.0.113.7"


def test_forwarded_for_from_another_peer_is_refused() -> None:
    assert http(PROXY, {"Host": "lagesbild.test", "X-Forwarded-For": "203.0.113.7"},
                peer="127.0.0.2")[0] == 403
    status, inner = http(PROXY, {"Host": "lagesbild.test"}, peer="127.0.0.2")
    assert status == 200 and dict(inner.scopes[0]["headers"])[b"x-lagesbild-client"] == \
        b"127.0.0.2"


def test_proxy_mode_checks_host_and_origin_too() -> None:
    assert http(PROXY, {"Host": "rebind.example"})[0] == 403
    assert websocket(PROXY, {"Host": "lagesbild.test",
                             "Origin": "https://lagesbild.test"}) == "websocket.accept"
    assert websocket(PROXY, {"Host": "lagesbild.test",
                             "Origin": "https://rebind.example"}) == "websocket.close"


def test_the_policy_follows_the_sign_in_mode_and_the_settings(tmp_path, monkeypatch) -> None:
    assert guard_policy("localhost") == GuardPolicy("localhost")
    settings_file = tmp_path / "installningar.toml"
    settings_file.write_text('[server]\nvardnamn = ["Lagesbild.Umea.se."]\n'
                             'proxy = ["10.0.0.5"]\n', "utf-8")
    monkeypatch.setenv(config.SETTINGS_ENV, str(settings_file))
    config.settings.cache_clear()
    try:
        policy = guard_policy("lokal")
    finally:
        config.settings.cache_clear()
    assert policy.mode == "proxy"
    assert policy.allowed_hosts == {"lagesbild.umea.se", "localhost", "127.0.0.1"}
    assert policy.trusted_proxies == {"10.0.0.5"}


def test_proxy_mode_refuses_to_start_while_uvicorn_would_rewrite_the_peer() -> None:
    """uvicorn replaces the peer by X-Forwarded-For before any middleware unless
    FORWARDED_ALLOW_IPS is empty; the guard then could not tell the proxy from a visitor."""
    for environ, expected in (({}, "lifespan.startup.failed"),
                              ({"FORWARDED_ALLOW_IPS": "127.0.0.1"}, "lifespan.startup.failed"),
                              ({"FORWARDED_ALLOW_IPS": ""}, "inner")):
        inner = Inner()
        guard = RequestGuard(inner, policy=PROXY, environ=environ)
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "lifespan.startup"}

        async def send(message: dict, sent: list[dict] = sent) -> None:
            sent.append(message)

        run(guard({"type": "lifespan"}, receive, send))
        got = "inner" if inner.scopes else sent[0]["type"]
        assert got == expected, environ
        if sent:
            assert "FORWARDED_ALLOW_IPS=" in sent[0]["message"]
    inner = Inner()
    run(RequestGuard(inner, policy=LOCAL, environ={})({"type": "lifespan"}, None, None))
    assert inner.scopes  # localhost mode refuses forwarding headers anyway


# -- parsing -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("localhost:8501", "localhost"), ("LOCALHOST", "localhost"), ("127.0.0.1:1", "127.0.0.1"),
    ("[::1]:8501", "::1"), ("a@localhost", None), ("localhost:99999", None), ("", None),
    ("localhost/x", None), ("local host", None), ("localhost.", "localhost"),
])
def test_host_name(value: str, expected: str | None) -> None:
    assert host_name(value) == expected


def test_same_origin() -> None:
    assert same_origin("http://localhost:8501", "localhost:8501")
    assert same_origin("https://lagesbild.test", "lagesbild.test")
    assert not same_origin("http://localhost:8501", "localhost:8502")
    assert not same_origin("file://localhost:8501", "localhost:8501")
    assert not same_origin("null", "localhost")


# -- <html lang="sv"> -------------------------------------------------------------------------
PAGE = '<!doctype html><html lang="en"><head></head><body>' + "x" * 5000 + "</body></html>"


def get(path: str, encoding: str) -> httpx.Response:
    async def page(_r: Any) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def data(_r: Any) -> JSONResponse:
        return JSONResponse({"html": '<html lang="en"'})

    app = Starlette(routes=[Route("/p", page), Route("/d", data)],
                    middleware=[Middleware(HtmlLang, lang="sv"),
                                Middleware(GZipMiddleware, minimum_size=100)])

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get(path, headers={"Accept-Encoding": encoding})

    return run(go())


def test_streamlit_gzips_page_urls_but_not_the_root() -> None:
    from streamlit.web.server.starlette.starlette_gzip_middleware import _should_bypass_gzip

    assert _should_bypass_gzip("/") and not _should_bypass_gzip("/trender")


def test_gzipped_html_is_unpacked_and_served_as_swedish() -> None:
    r = get("/p", "gzip")
    assert "content-encoding" not in r.headers
    assert r.text.startswith('<!doctype html><html lang="sv">')
    assert int(r.headers["content-length"]) == len(r.content)


def test_plain_html_is_rewritten_and_json_is_not() -> None:
    assert '<html lang="sv">' in get("/p", "identity").text
    assert get("/d", "identity").json() == {"html": '<html lang="en"'}
