"""Export: chart images, the meeting pack (PowerPoint, PDF, Excel, PNG) and its public variant.

No Streamlit here; ui/downloads.py and pages/export.py use this package, and so does
`lagesbild export` (lagesbild/cli_export.py).

    from lagesbild.export import PackRequest, build_pack, write_pack
    pack = build_pack(store, PackRequest(Filters("2025K4", "2026K3")))
    write_pack(pack, "pptx", "motet.pptx")
"""

from lagesbild.export.common import ExportError, export_table
from lagesbild.export.files import pack_bytes, pack_file_name, write_pack
from lagesbild.export.images import render
from lagesbild.export.naming import export_name
from lagesbild.export.pack import (
    CHARTS,
    DEFAULT_CHARTS,
    FORMATS,
    PUBLIC_CHARTS,
    Pack,
    PackRequest,
    build_pack,
)
from lagesbild.export.workbook import csv_bytes, safe_cell, workbook_bytes

__all__ = [
    "CHARTS", "DEFAULT_CHARTS", "FORMATS", "PUBLIC_CHARTS", "ExportError", "Pack", "PackRequest",
    "build_pack", "csv_bytes", "export_name", "export_table", "pack_bytes", "pack_file_name",
    "render", "safe_cell", "workbook_bytes", "write_pack",
]
