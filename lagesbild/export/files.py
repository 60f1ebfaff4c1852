"""The meeting pack as files: one format as bytes (`pack_bytes`) or written to a path.

Written files are private to the user who writes them (0600, new folders 0700), whatever the
umask: a pack holds the quarter's picture, protected or not, and a shared server's other users
have no business reading it.
"""

from __future__ import annotations

import io
import os
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


def _private_folder(folder: Path) -> None:
    """Create a folder (and its parents) as 0700; an existing folder is left as it is."""
    if not folder.exists():
        _private_folder(folder.parent)
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask; never widened


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable and writable by its owner only (also when it existed before)."""
    _private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd >= 0:
            os.close(fd)


def write_pack(pack: Pack, fmt: str, out: str | Path) -> list[Path]:
    """Write the pack as `fmt` to `out` and return the files written.

    pptx/pdf/xlsx: `out` is a file, or an existing folder (the standard name is used inside).
    png: `out` is a folder (created if needed) that gets one PNG per chart.
    """
    out = Path(out)
    if fmt == "png":
        _private_folder(out)
        written = []
        rendered = pack.render_images("png")
        for item in pack.charts:
            path = out / pack.chart_file_name(item, "png")
            write_private(path, rendered[item.key])
            written.append(path)
        return written
    if fmt not in FORMATS:
        raise ValueError(f"Okänt format {fmt!r}: välj bland {', '.join(FORMATS)}.")
    path = out / pack.file_name(fmt) if out.is_dir() else out
    write_private(path, pack_bytes(pack, fmt))
    return [path]
