"""The meeting pack as files: one format as bytes (`pack_bytes`) or written to a path."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lagesbild.export import report, slides, workbook
from lagesbild.export.pack import FORMATS, Pack


def pack_bytes(pack: Pack, fmt: str) -> bytes:
    """One file of the pack: pptx, pdf, xlsx, or png (a zip with one PNG per chart)."""
    if fmt == "pptx":
        return slides.deck_bytes(pack)
    if fmt == "pdf":
        return report.report_bytes(pack)
    if fmt == "xlsx":
        return workbook.workbook_bytes(pack.tables, pack.about())
    if fmt in ("png", "zip"):
        rendered = pack.render_images("png")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for item in pack.charts:
                archive.writestr(pack.chart_file_name(item, "png"), rendered[item.key])
        return buffer.getvalue()
    raise ValueError(f"Okänt format {fmt!r}: välj bland {', '.join(FORMATS)}.")


def pack_file_name(pack: Pack, fmt: str) -> str:
    return pack.file_name(fmt)


def write_pack(pack: Pack, fmt: str, out: str | Path) -> list[Path]:
    """Write the pack as `fmt` to `out` and return the files written.

    pptx/pdf/xlsx: `out` is a file, or an existing folder (the standard name is used inside).
    png: `out` is a folder (created if needed) that gets one PNG per chart.
    """
    out = Path(out)
    if fmt == "png":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        rendered = pack.render_images("png")
        for item in pack.charts:
            path = out / pack.chart_file_name(item, "png")
            path.write_bytes(rendered[item.key])
            written.append(path)
        return written
    if fmt not in FORMATS:
        raise ValueError(f"Okänt format {fmt!r}: välj bland {', '.join(FORMATS)}.")
    path = out / pack.file_name(fmt) if out.is_dir() else out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pack_bytes(pack, fmt))
    return [path]
