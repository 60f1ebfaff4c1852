"""Static chart images (PNG, SVG, PDF) through plotly + kaleido 1.5 and the system Chromium.

One browser is kept warm for the whole process: `start()` opens kaleido's sync server
(idempotent), `render()` uses it (and starts it when needed), `stop()` closes it; `warm()` is a
context manager for a batch that stops the browser again only if it started it. A cold first
image takes a few seconds (the browser starts); after that an image takes well under a second.

Calls are serialised with a lock (kaleido's server is a single queue, and Streamlit runs
download callbacks on their own threads) and watched: if the browser dies, `render` raises
`ExportError` instead of waiting forever. Rendered images are kept in a small in-process cache
keyed on the figure's content, format and size.

Every image is slide-ready: charts.apply_slide_style (16:9, 1600×900, large type) unless the
figure already has the slide style, and font names are quoted so that Chromium accepts the
font list (an unquoted family like `Source Sans 3` makes CSS drop the whole list).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from lagesbild.charts import apply_slide_style
from lagesbild.export.common import ExportError

WIDTH, HEIGHT, SCALE = 1600, 900, 2  # PNG: 3200 × 1800 pixels
FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",), "svg": (b"<svg", b"<?xml"), "pdf": (b"%PDF",),
}
TIMEOUT = 120.0  # seconds for one image, the browser's start included
CACHE_SIZE = 96

_lock = threading.RLock()
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_topojson_dir: Path | None = None
_stats = {"renders": 0, "cache_hits": 0}


# -- the browser ---------------------------------------------------------------------------------
def browser_path() -> str | None:
    """The Chromium kaleido will use (None when there is none)."""
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:  # pragma: no cover - choreographer comes with kaleido
        return None
    try:
        return Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - any failure means: no usable browser
        return None


def browser_available() -> bool:
    return browser_path() is not None


def _server() -> Any:
    # kaleido's sync server is a process-wide singleton (kaleido._sync_server); we read its
    # state to notice a browser that has died instead of blocking on its queue forever.
    from kaleido._sync_server import GlobalKaleidoServer

    return GlobalKaleidoServer()


def running() -> bool:
    server = _server()
    return bool(server.is_running() and getattr(server, "_thread", None)
                and server._thread.is_alive())


def start() -> None:
    """Open the warm browser (no-op when it is already open)."""
    import kaleido

    with _lock:
        if running():
            return
        if _server().is_running():  # its thread has died: reset before starting again
            kaleido.stop_sync_server(silence_warnings=True)
        if not browser_available():
            raise ExportError(
                "Diagrambilder kräver webbläsaren Chromium, som inte hittades. Installera den "
                "(Debian: apt-get install chromium) eller ange sökvägen i BROWSER_PATH.")
        kaleido.start_sync_server(mathjax=False, timeout=TIMEOUT, silence_warnings=True)


def stop() -> None:
    """Close the warm browser (no-op when it is not open)."""
    import kaleido

    with _lock:
        if _server().is_running():
            kaleido.stop_sync_server(silence_warnings=True)


@contextmanager
def warm() -> Iterator[None]:
    """A batch of images with one warm browser: the browser starts with the first image that
    is not cached, and is stopped afterwards only if it was not running before the batch."""
    was_running = running()
    try:
        yield
    finally:
        if not was_running and running():
            stop()


def _topojson_url() -> str:
    """A local, empty world map for geo figures: plotly.js otherwise fetches one from a CDN
    (there is no network), and our maps draw only their own GeoJSON outlines."""
    global _topojson_dir
    if _topojson_dir is None or not (_topojson_dir / "world_110m.json").exists():
        folder = Path(tempfile.mkdtemp(prefix="lagesbild_topojson_"))
        layers = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
        empty = {"type": "Topology", "arcs": [],
                 "objects": {k: {"type": "GeometryCollection", "geometries": []}
                             for k in layers},
                 "transform": {"scale": [1, 1], "translate": [0, 0]}}
        for name in ("world_110m.json", "world_50m.json", "europe_110m.json",
                     "europe_50m.json"):
            (folder / name).write_text(json.dumps(empty), "utf-8")
        _topojson_dir = folder
    return _topojson_dir.as_uri() + "/"


def _watched(job: Any) -> Any:
    """Run `job()` (a call into the warm browser) on a helper thread and wait for it, so that a
    browser that dies cannot block us on kaleido's queue forever."""
    import kaleido

    start()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = job()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            result["error"] = exc

    worker = threading.Thread(target=work, name="lagesbild-kaleido", daemon=True)
    worker.start()
    deadline = time.monotonic() + TIMEOUT + 10
    while worker.is_alive():
        worker.join(0.25)
        if worker.is_alive() and not running():
            kaleido.stop_sync_server(silence_warnings=True)
            raise ExportError("Webbläsaren som ritar diagrambilderna stängdes oväntat. "
                              "Försök igen.")
        if time.monotonic() > deadline:
            raise ExportError("Det tog för lång tid att rita diagrambilden. Försök igen.")
    if "error" in result:
        raise ExportError(f"Diagrambilden kunde inte ritas: {result['error']}") \
            from result["error"]
    return result.get("value")


def _call(spec: dict[str, Any], opts: dict[str, Any], topojson: str | None) -> bytes:
    import kaleido

    return _watched(lambda: kaleido.calc_fig_sync(spec, opts=opts, topojson=topojson))


def _call_many(jobs: list[tuple[dict[str, Any], dict[str, Any], str | None]]) -> list[bytes]:
    """Several images in one call into the browser (kaleido overlaps the reload of its page
    after each image with the next one): noticeably faster than one call per image."""
    import kaleido

    with tempfile.TemporaryDirectory(prefix="lagesbild_bilder_") as folder:
        paths = [Path(folder) / f"{i}.{opts['format']}" for i, (_s, opts, _t) in
                 enumerate(jobs)]
        figures = [{"fig": spec, "path": str(path), "opts": opts, "topojson": topo}
                   for (spec, opts, topo), path in zip(jobs, paths, strict=True)]
        _watched(lambda: kaleido.write_fig_from_object_sync(figures, cancel_on_error=True))
        return [path.read_bytes() for path in paths]


# -- the figure as it is exported -------------------------------------------------------------
_SIMPLE_FAMILY = re.compile(r"[A-Za-z-]+")


def quote_font_family(family: str) -> str:
    """'Source Sans 3, DejaVu Sans, sans-serif' -> "'Source Sans 3', 'DejaVu Sans', sans-serif"."""
    parts = [p.strip().strip("'\"") for p in family.split(",") if p.strip()]
    return ", ".join(p if _SIMPLE_FAMILY.fullmatch(p) else f"'{p}'" for p in parts)


def _quote_fonts(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "family" and isinstance(value, str):
                node[key] = quote_font_family(value)
            else:
                _quote_fonts(value)
    elif isinstance(node, list):
        for value in node:
            _quote_fonts(value)


def slide_figure(fig: go.Figure) -> go.Figure:
    """The figure with the slide style (16:9, large type); unchanged if it already has it."""
    meta = fig.layout.meta
    if isinstance(meta, dict) and meta.get("lagesbild_style") == "slide":
        return fig
    return apply_slide_style(fig)


def figure_spec(fig: go.Figure | dict, *, slide: bool = True) -> dict[str, Any]:
    """The plain figure dict that is rendered (slide style, quoted font names)."""
    if isinstance(fig, dict):
        spec = copy.deepcopy(fig)
    else:
        spec = json.loads((slide_figure(fig) if slide else fig).to_json())
    _quote_fonts(spec)
    return spec


def _has_geo(spec: dict[str, Any]) -> bool:
    return any(str(t.get("type", "")).endswith("geo") or t.get("type") == "choropleth"
               for t in spec.get("data", []))


def _job(fig: go.Figure | dict, fmt: str, width: int, height: int, scale: float,
         slide: bool) -> tuple[tuple, dict[str, Any], dict[str, Any], str | None]:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ExportError(f"Okänt bildformat {fmt!r}: välj {', '.join(FORMATS)}.")
    spec = figure_spec(fig, slide=slide)
    text = json.dumps(spec, sort_keys=True, default=str)
    scale = scale if fmt == "png" else 1
    key = (hashlib.sha256(text.encode()).hexdigest(), fmt, width, height, scale)
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    return key, spec, opts, _topojson_url() if _has_geo(spec) else None


def _store(key: tuple, fmt: str, data: bytes) -> bytes:
    if not data.startswith(MAGIC[fmt]) and not (fmt == "svg" and b"<svg" in data[:200]):
        raise ExportError(f"Diagrambilden blev inte en giltig {fmt.upper()}-fil.")
    _stats["renders"] += 1
    _cache[key] = data
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return data


def render(fig: go.Figure | dict, fmt: str = "png", *, width: int = WIDTH, height: int = HEIGHT,
           scale: float = SCALE, slide: bool = True) -> bytes:
    """The figure as PNG, SVG or PDF bytes (slide style by default; cached on content)."""
    return render_many([fig], fmt, width=width, height=height, scale=scale, slide=slide)[0]


def render_many(figs: list[go.Figure | dict], fmt: str = "png", *, width: int = WIDTH,
                height: int = HEIGHT, scale: float = SCALE, slide: bool = True) -> list[bytes]:
    """Several figures in one format, in one call into the warm browser (cached ones are
    not drawn again)."""
    fmt = fmt.lower()
    jobs = [_job(fig, fmt, width, height, scale, slide) for fig in figs]
    with _lock:
        missing: list[tuple[tuple, dict[str, Any], dict[str, Any], str | None]] = []
        for job in jobs:
            if job[0] in _cache:
                _stats["cache_hits"] += 1
            elif job[0] not in {m[0] for m in missing}:
                missing.append(job)
        if len(missing) == 1:
            key, spec, opts, topo = missing[0]
            _store(key, fmt, _call(spec, opts, topo))
        elif missing:
            drawn = _call_many([(spec, opts, topo) for _k, spec, opts, topo in missing])
            for (key, *_rest), data in zip(missing, drawn, strict=True):
                _store(key, fmt, data)
        out = []
        for key, *_rest in jobs:
            _cache.move_to_end(key)
            out.append(_cache[key])
        return out


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def stats() -> dict[str, int]:
    return dict(_stats)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    if not data.startswith(MAGIC["png"][0]):
        raise ValueError("inte en PNG-fil")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
