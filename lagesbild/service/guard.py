"""The request path: ASGI middleware in front of the dashboard (app.py hands it to `st.App`).

`RequestGuard` checks every HTTP request and every websocket upgrade (`/_stcore/stream`)
before Streamlit sees it. It is pure ASGI (Starlette's BaseHTTPMiddleware does not see
websockets) and runs outside Streamlit's own middleware (st.App puts ours first):

* **Host**: exactly `name[:port]`; in "localhost" mode only `localhost` and `127.0.0.1`, in
  "proxy" mode the host names of the settings (plus those two, for monitoring on the server).
  Anything else is refused on every path: a DNS-rebinding page has its own host name.
* **Origin**: when present it must be the same origin as Host; a websocket must carry one
  (browsers always send it), so no other site can drive a session.
* **Forwarding headers** (X-Forwarded-For and its relatives): refused in "localhost" mode (a
  reverse proxy in front would make every visitor the analyst on this computer); in "proxy"
  mode believed only from the configured proxies, whose rightmost X-Forwarded-For entry is the
  visitor's address.
* The visitor's address is handed to the script in the header `X-Lagesbild-Client` (any value
  a client sends under that name is dropped), with the guard's mode in `X-Lagesbild-Mode`.
  Streamlit keeps the websocket handshake's headers per session, so the script reads them with
  `st.context.headers` (`st.context.ip_address` is None for loopback).

uvicorn, which `streamlit run` uses, rewrites the peer address from X-Forwarded-For before any
middleware runs whenever the peer is in $FORWARDED_ALLOW_IPS (default 127.0.0.1), and the
variable is read before app.py is imported. In "proxy" mode the guard therefore refuses to
start unless the variable is set and empty (`FORWARDED_ALLOW_IPS= streamlit run app.py`; the
systemd unit sets it).

`HtmlLang` serves Streamlit's index.html with `<html lang="sv">` (an accessibility
requirement): the page and every page URL, whose SPA fallback Streamlit may gzip.
"""

from __future__ import annotations

import gzip
import ipaddress
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse

from lagesbild.domain import config

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger("lagesbild.guard")

LOCALHOST, PROXY = "localhost", "proxy"
MODES = (LOCALHOST, PROXY)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# The headers the script reads; only this middleware sets them.
CLIENT_HEADER = "x-lagesbild-client"
MODE_HEADER = "x-lagesbild-mode"
_OWN_PREFIX = b"x-lagesbild-"
FORWARDING_HEADERS = frozenset({
    b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port",
    b"x-forwarded-prefix", b"x-forwarded-server", b"forwarded", b"x-real-ip", b"x-client-ip",
    b"true-client-ip", b"x-original-forwarded-for", b"cf-connecting-ip",
})
UVICORN_TRUST_ENV = "FORWARDED_ALLOW_IPS"
REFUSED = ("Lägesbilden nekade förfrågan: adressen, ursprunget eller proxyhuvudena stämmer inte "
           "med hur tjänsten är inställd. Öppna lägesbilden med den adress som analytikerna "
           "har gett dig.")


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard accepts: its mode, the Host names, the proxies it believes."""

    mode: str
    allowed_hosts: frozenset[str] = LOCAL_HOSTS
    trusted_proxies: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Okänt läge {self.mode!r} för förfrågningsskyddet.")


def guard_policy(sign_in_mode: str, settings: config.Settings | None = None) -> GuardPolicy:
    """The policy for a sign-in mode: "localhost" (no sign-in: one person on this computer)
    or "proxy" (local accounts or OIDC: shared through a reverse proxy with TLS)."""
    if sign_in_mode == "localhost":
        return GuardPolicy(LOCALHOST)
    server = (settings or config.settings()).server
    return GuardPolicy(PROXY, LOCAL_HOSTS | frozenset(server.host_names),
                       frozenset(filter(None, map(ip_text, server.proxies))))


def host_name(host: str | None) -> str | None:
    """The lower-case host name of a Host header value ("localhost:8501" -> "localhost"),
    or None for anything that is not exactly host[:port] (user info, path, bad port)."""
    if not host or any(c in host for c in "/\\@?# \t,"):
        return None
    try:
        parts = urlsplit(f"//{host}")
        _ = parts.port  # validates the port
    except ValueError:
        return None
    name = parts.hostname
    return name.rstrip(".") if name else None


def same_origin(origin: str, host: str) -> bool:
    """Whether an Origin header ("https://a.b:8443") names the same host[:port] as Host."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return (parts.scheme in {"http", "https"} and bool(host)
            and parts.netloc.lower().rstrip(".") == host.lower().rstrip("."))


def ip_text(value: str) -> str | None:
    """An IP address in canonical form ("[::1]:80" -> "::1", "1.2.3.4:5" -> "1.2.3.4")."""
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


class RequestGuard:
    """Refuse requests the deployment does not expect; tell the script who asked."""

    def __init__(self, app: ASGIApp, *, policy: GuardPolicy,
                 environ: dict[str, str] | None = None) -> None:
        self.app = app
        self.policy = policy
        self.allowed_hosts = LOCAL_HOSTS if policy.mode == LOCALHOST else policy.allowed_hosts
        self.trusted = frozenset(filter(None, map(ip_text, policy.trusted_proxies)))
        self.environ = os.environ if environ is None else environ

    def start_problem(self) -> str | None:
        """Why the server must not start with this policy, or None."""
        if self.policy.mode == PROXY and self.environ.get(UVICORN_TRUST_ENV) != "":
            return (f"Med inloggning måste lägesbilden startas med {UVICORN_TRUST_ENV}= (tomt), "
                    f"t.ex. `{UVICORN_TRUST_ENV}= streamlit run app.py`; annars byter uvicorn "
                    "ut besökarens adress mot X-Forwarded-For innan lägesbilden kan pröva den. "
                    "Tjänstefilen deploy/lagesbild.service sätter variabeln.")
        return None

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None."""
        headers = Headers(scope=scope)
        hosts = headers.getlist("host")
        host = hosts[0] if len(hosts) == 1 else None
        name = host_name(host)
        if name is None or name not in self.allowed_hosts:
            return "host"
        origins = headers.getlist("origin")
        if len(origins) > 1:
            return "origin"
        if origins and not same_origin(origins[0], host or ""):
            return "origin"
        if scope["type"] == "websocket" and not origins:
            return "origin missing"
        present = {k for k, _ in scope["headers"]} & FORWARDING_HEADERS
        if present and (self.policy.mode == LOCALHOST or not self._from_proxy(scope)):
            return "forwarding headers"
        return None

    def _peer(self, scope: Scope) -> str | None:
        peer = scope.get("client")
        return ip_text(str(peer[0])) if peer else None

    def _from_proxy(self, scope: Scope) -> bool:
        return self._peer(scope) in self.trusted

    def client_address(self, scope: Scope) -> str:
        """The visitor's address: the peer, or what the trusted proxy says it forwarded."""
        peer = self._peer(scope) or "okänd"
        if self.policy.mode == PROXY and peer in self.trusted:
            values = [v.decode("latin-1") for k, v in scope["headers"]
                      if k == b"x-forwarded-for"]
            entries = [e for v in values for e in v.split(",") if e.strip()]
            if entries:
                return ip_text(entries[-1]) or "okänd"
        return peer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            problem = self.start_problem()
            if problem is not None:
                await _fail_startup(problem, receive, send)
                return
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is not None:
            LOG.warning("refused %s %s: %s", scope["type"], scope.get("path"), reason)
            await _refuse(scope, receive, send)
            return
        client = self.client_address(scope)
        headers = [(k, v) for k, v in scope["headers"] if not k.startswith(_OWN_PREFIX)]
        headers += [(CLIENT_HEADER.encode(), client.encode("ascii", "replace")),
                    (MODE_HEADER.encode(), self.policy.mode.encode())]
        peer = scope.get("client")
        # st.context.ip_address reads scope["client"] (None when it is loopback).
        scope = {**scope, "headers": headers, "client": (client, peer[1] if peer else 0)}
        await self.app(scope, receive, send)


async def _fail_startup(problem: str, receive: Receive, send: Send) -> None:
    """Answer the lifespan startup with a failure: uvicorn prints it and exits (code 3)."""
    message = await receive()
    if message["type"] == "lifespan.startup":
        LOG.error("%s", problem)
        await send({"type": "lifespan.startup.failed", "message": problem})


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await PlainTextResponse(REFUSED, status_code=403)(scope, receive, send)
        return
    # A websocket closed before it is accepted: the server answers the upgrade with 403.
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


class HtmlLang:
    """Rewrite `<html lang="en">` to `<html lang="{lang}">` in HTML responses.

    Streamlit's own middleware, inside this one, may gzip the SPA fallback of page URLs, so a
    compressed body is unpacked first.
    """

    def __init__(self, app: ASGIApp, *, lang: str = "sv") -> None:
        self.app = app
        self.old = b'<html lang="en"'
        self.new = f'<html lang="{lang}"'.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message["headers"]).get("content-type", "")
                if content_type.startswith("text/html"):
                    start = message  # hold it until the whole body is here
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(raw=list(start["headers"]))
            if headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
                del headers["content-encoding"]
            body = body.replace(self.old, self.new, 1)
            headers["content-length"] = str(len(body))
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)

