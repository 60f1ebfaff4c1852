"""Benchmark: the default meeting pack for one quarter on the demo data.

Prints the total time (pack computed, every chart rendered, PowerPoint + PDF + Excel written)
and the time per chart image — the cold first image (the browser starts) against warm ones —
as a table with ratios to the cold single image. Target: the whole pack in under 10 s.
No asserts.

    .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from lagesbild.export import images  # noqa: E402
from lagesbild.export.files import pack_bytes
from lagesbild.export.pack import PackRequest, build_pack  # noqa: E402
from lagesbild.intake.population import ensure_population  # noqa: E402
from lagesbild.numbers.query import Filters  # noqa: E402
from lagesbild.service import seed_demo  # noqa: E402
from lagesbild.store import Store  # noqa: E402

QUARTER_FROM, QUARTER_TO = "2025K4", "2026K3"
TARGET = 10.0


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench_export_"))
    store = Store.open(folder / "demo.duckdb")
    seed_demo(store)
    ensure_population(store)
    images.stop()
    images.clear_cache()

    # A: the pack as a user gets it, from a cold browser.
    total_start = time.perf_counter()
    with images.warm():
        images.start()  # as `lagesbild export` does: the browser starts in the background
        t = time.perf_counter()
        pack = build_pack(store, PackRequest(Filters(QUARTER_FROM, QUARTER_TO)))
        build = time.perf_counter() - t
        t = time.perf_counter()
        pptx = pack_bytes(pack, "pptx")  # draws every chart (one batch, browser starts)
        t_pptx = time.perf_counter() - t
        t = time.perf_counter()
        pdf = pack_bytes(pack, "pdf")
        t_pdf = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = pack_bytes(pack, "xlsx")
    t_xlsx = time.perf_counter() - t
    total = time.perf_counter() - total_start

    # B: one image at a time: the cold first image, then warm ones, then a warm batch.
    images.clear_cache()
    figures = [item.figure for item in pack.charts]
    rows: list[tuple[str, float]] = []
    with images.warm():
        for i, item in enumerate(pack.charts):
            t = time.perf_counter()
            images.render(item.figure, "png")
            label = "kall: webbläsaren startar" if i == 0 else "varm"
            rows.append((f"PNG {item.key} ({label})", time.perf_counter() - t))
        for fmt in ("svg", "pdf"):
            t = time.perf_counter()
            images.render(figures[1], fmt)
            rows.append((f"{fmt.upper()} {pack.charts[1].key} (varm)", time.perf_counter() - t))
        images.clear_cache()
        t = time.perf_counter()
        images.render_many(figures, "png")
        batch = time.perf_counter() - t
    cold = rows[0][1]
    warm = [s for _label, s in rows[1:len(figures)]]

    print(f"Mötesunderlag {QUARTER_TO} (period {QUARTER_FROM}–{QUARTER_TO}), demodata, "
          f"{len(pack.charts)} diagram, PNG {images.WIDTH}×{images.HEIGHT} skala "
          f"{images.SCALE}\n")
    print(f"{'steg':<52} {'sekunder':>9} {'mot kall bild':>14}")
    print("-" * 77)
    table = [("A. indikatorer och figurer (build_pack)", build),
             ("A. PowerPoint, alla bilder ritas (webbläsaren startar)", t_pptx),
             ("A. PDF (bilderna redan ritade)", t_pdf), ("A. Excel", t_xlsx),
             ("A. TOTALT: pptx + pdf + xlsx", total)]
    table += [(f"B. {label}", s) for label, s in rows]
    table += [(f"B. varm bild, snitt av {len(warm)}", sum(warm) / max(len(warm), 1)),
              (f"B. {len(figures)} PNG i ett anrop (varm), per bild", batch / len(figures))]
    for label, seconds in table:
        print(f"{label:<52} {seconds:>9.3f} {seconds / cold:>13.2f}x")
    print("-" * 77)
    print(f"Mål: hela mötesunderlaget under {TARGET:.0f} s – "
          f"{'uppnått' if total < TARGET else 'INTE uppnått'} ({total:.1f} s). "
          f"Filstorlek: pptx {len(pptx) / 1e6:.1f} MB, pdf {len(pdf) / 1e6:.1f} MB, "
          f"xlsx {len(xlsx) / 1e3:.0f} kB.")
    store.close()


if __name__ == "__main__":
    main()
