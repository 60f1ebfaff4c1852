"""The 'Ladda ner' menu of a chart: PNG, SVG and PDF of the figure, CSV and Excel of its data.

Images are slide-ready (16:9, 1600×900, large type; PNG at scale 2) and drawn only when the
user clicks (Streamlit runs a callable `data` on click, on its own thread), through the one
warm browser of lagesbild.export.images; they are cached on (chart name, data version,
filters, format) and the figure's content. The data files hold exactly what the chart shows:
the same filters and disclosure control, suppressed counts as "<5", formula-safe cells.
Every download is written to the audit log.

    from ui.downloads import download_menu
    download_menu(fig, data, "Rapporter per stadsdel", describe_filters(filters), key="omr")
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lagesbild.access import policy
from lagesbild.charts import describe_filters, period_label
from lagesbild.domain.text import ascii_slug
from lagesbild.export import images
from lagesbild.export.naming import export_name
from lagesbild.export.workbook import CSV_MIME, XLSX_MIME, csv_bytes, workbook_bytes
from lagesbild.numbers.disclosure import EXACT_NOTE, NOTE
from ui import selection, signin, state, view

IMAGE_LABELS = {"png": ("Bild (PNG)", ":material/image:"),
                "svg": ("Vektorbild (SVG)", ":material/draw:"),
                "pdf": ("PDF", ":material/picture_as_pdf:")}
_CACHE_SIZE = 64
_cache: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()
_cache_lock = threading.Lock()


_browser_checked: list[tuple[float, bool]] = []


def browser_available(ttl: float = 60.0) -> bool:
    """images.browser_available(), looked up at most once a minute (it searches the disk,
    and every chart's menu asks on every rerun)."""
    now = time.monotonic()
    if not _browser_checked or now - _browser_checked[0][0] > ttl:
        _browser_checked[:] = [(now, images.browser_available())]
    return _browser_checked[0][1]


def cached_image(fig: go.Figure, fmt: str, key: tuple) -> bytes:
    """The figure as `fmt`, cached on `key` (chart name, data version, filters) and checked
    against the figure's content, so a changed figure under the same key is drawn anew."""
    digest = hashlib.sha256(fig.to_json().encode()).hexdigest()
    full = (*key, fmt)
    with _cache_lock:
        hit = _cache.get(full)
        if hit and hit[0] == digest:
            _cache.move_to_end(full)
            return hit[1]
    data = images.render(fig, fmt)
    with _cache_lock:
        _cache[full] = (digest, data)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def _logged(make: Callable[[], bytes], file_name: str, details: str,
            exact: bool = False) -> Callable[[], bytes]:
    """`make`, run when the button is clicked, checked and logged by the access policy
    (`exact`: an internal export with exact counts)."""
    store = state.get_store()
    user = signin.current_user()

    def run() -> bytes:
        with policy.exporting(store, user, file_name, details, exact=exact):
            return make()
    return run


def download_menu(fig: go.Figure | None, data: pd.DataFrame | None, name: str,
                  filters_text: str, *, key: str | None = None,
                  period: str | None = None) -> None:
    """A st.popover('Ladda ner') with PNG, SVG, PDF (when there is a figure and a browser)
    and CSV, Excel (when there is data). `name` is the chart's Swedish title (without
    period), `filters_text` the active filters in words (e.g. charts.describe_filters)."""
    filters = selection.current_filters()
    period = period or period_label(filters.from_quarter, filters.to_quarter)
    key = key or ascii_slug(name)
    version = state.data_version()
    cache_key = (name, version, filters_text, period)
    threshold = view.threshold()

    def file_name(ext: str) -> str:
        return export_name(period, name, ext, filters=filters)

    def details(fmt: str) -> str:
        return f"{fmt}; {name}; period {period}; {filters_text or 'alla rapporter'}"

    exact = view.exact()
    with st.popover("Ladda ner", icon=":material/download:"):
        if exact:  # an analyst's view with exact counts: never exported without asking
            st.caption("Du ser exakta antal. För mötesmaterial: slå på *Visa skyddade "
                       "siffror* i sidopanelen, så har nedladdningarna beredningsgruppens "
                       "skyddade siffror.")
            if not st.checkbox("Ladda ner exakta antal (internt bruk, loggas)",
                               key=f"dl_exact_{key}"):
                return
        if fig is not None:
            if browser_available():
                for fmt, (label, icon) in IMAGE_LABELS.items():
                    st.download_button(
                        label, data=_logged(
                            lambda fmt=fmt: cached_image(fig, fmt, cache_key),
                            file_name(fmt), details(fmt), exact),
                        file_name=file_name(fmt), mime=images.FORMATS[fmt],
                        key=f"dl_{fmt}_{key}", icon=icon, on_click="ignore",
                        width="stretch")
                st.caption("Bilderna är bildspelsklara (16:9) och ritas när du klickar.")
            else:
                st.caption("Bilder kräver webbläsaren Chromium på servern.")
        if data is not None:
            note = (EXACT_NOTE if exact else
                    f"Antal under {threshold} visas som <{threshold}; .. = dolt för att "
                    f"skydda ett litet tal. {NOTE}")
            about = [("Diagram", name), ("Period", period),
                     ("Urval", filters_text or "Alla rapporter"),
                     ("Data per", _data_date()), ("Röjandekontroll", note)]
            st.download_button(
                "Data (Excel)", data=_logged(
                    lambda: workbook_bytes({name[:31]: data}, about), file_name("xlsx"),
                    details("xlsx"), exact),
                file_name=file_name("xlsx"), mime=XLSX_MIME, key=f"dl_xlsx_{key}",
                icon=":material/table:", on_click="ignore", width="stretch")
            st.download_button(
                "Data (CSV, för Excel)", data=_logged(
                    lambda: csv_bytes(data, note), file_name("csv"), details("csv"), exact),
                file_name=file_name("csv"), mime=CSV_MIME, key=f"dl_csv_{key}",
                icon=":material/description:", on_click="ignore", width="stretch")
            st.caption("Samma urval och exakta antal som diagrammet." if exact else
                       f"Samma urval och röjandekontroll som diagrammet: värden under "
                       f"{threshold} står som <{threshold}. {NOTE}")


def _data_date() -> str:
    when = state.data_as_of()
    return when.date().isoformat() if when else "–"


def filters_text_of(filters: object) -> str:
    """The filters in words, as download_menu wants them."""
    return describe_filters(filters)
