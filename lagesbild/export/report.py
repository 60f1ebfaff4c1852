"""The meeting pack as a PDF report for the minutes (reportlab, A4 landscape).

Same content as the deck: title page, summary and key indicators, one page per chart (heading,
the chart image, its key figures in words), method and disclosure control, and in the public
variant the support lines. Every page has a footer with the source, the data date, the
disclosure rule and the page number.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lagesbild.export.images import HEIGHT, WIDTH
from lagesbild.export.pack import DEMO_NOTE, ORGANISATION, Pack
from lagesbild.numbers import summary

PDF_MIME = "application/pdf"
PAGE = landscape(A4)
MARGIN = 1.6 * cm
ACCENT = colors.HexColor("#0072B2")
GREY = colors.HexColor("#555555")
WARN = colors.HexColor("#D55E00")
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
              Path("/usr/share/fonts/TTF"))


@cache
def fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans when installed (every Swedish character and dash), else
    the built-in Helvetica."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            try:
                pdfmetrics.registerFont(TTFont("LB-Sans", str(regular)))
                pdfmetrics.registerFont(TTFont("LB-Sans-Bold", str(bold)))
                pdfmetrics.registerFontFamily("LB-Sans", normal="LB-Sans", bold="LB-Sans-Bold",
                                              italic="LB-Sans", boldItalic="LB-Sans-Bold")
            except Exception:  # noqa: BLE001 - a broken font file: fall back
                continue
            return "LB-Sans", "LB-Sans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=30, leading=36,
                                textColor=ACCENT, spaceAfter=18),
        "sub": ParagraphStyle("sub", fontName=bold, fontSize=18, leading=24, spaceAfter=10),
        "meta": ParagraphStyle("meta", fontName=regular, fontSize=13, leading=18,
                               textColor=GREY, spaceAfter=4),
        "warn": ParagraphStyle("warn", fontName=bold, fontSize=13, leading=18,
                               textColor=WARN, spaceBefore=18),
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=18, leading=23, spaceAfter=8),
        "body": ParagraphStyle("body", fontName=regular, fontSize=11.5, leading=16,
                               spaceAfter=7),
        "bullet": ParagraphStyle("bullet", fontName=regular, fontSize=12.5, leading=18,
                                 leftIndent=14, bulletIndent=2, spaceAfter=6),
        "small": ParagraphStyle("small", fontName=regular, fontSize=9.5, leading=13,
                                textColor=GREY, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=10, leading=13),
        "cellb": ParagraphStyle("cellb", fontName=bold, fontSize=10, leading=13),
    }


def _p(text: str, style: ParagraphStyle, bullet: bool = False) -> Paragraph:
    return Paragraph(escape(text), style, bulletText="•" if bullet else None)


def _key_table(pack: Pack, st: dict[str, ParagraphStyle]) -> Table:
    table = pack.key_table
    data = [[_p(str(c), st["cellb"]) for c in table.columns]]
    data += [[_p(str(v), st["cellb"] if j == 0 else st["cell"]) for j, v in enumerate(row)]
             for row in table.itertuples(index=False)]
    usable = PAGE[0] - 2 * MARGIN
    first = 5.0 * cm
    rest = (usable - first) / max(len(table.columns) - 1, 1)
    grid = Table(data, colWidths=[first] + [rest] * (len(table.columns) - 1), repeatRows=1)
    grid.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F0")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#AAAAAA")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return grid


def _jpeg(png: bytes) -> io.BytesIO:
    """The chart as a high-quality JPEG: reportlab embeds JPEG as it is (a PNG it decodes and
    compresses again, which takes about a second per chart)."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as picture:
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=92, subsampling=0, optimize=False)
    out.seek(0)
    return out


def _page_footer(pack: Pack):
    regular, _bold = fonts()

    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, 1.0 * cm, f"{pack.title} · {pack.subtitle}")
        canvas.drawString(MARGIN, 0.6 * cm, pack.footer)
        canvas.drawRightString(PAGE[0] - MARGIN, 1.0 * cm, f"Sida {doc.page}")
        canvas.restoreState()
    return draw


def report_bytes(pack: Pack) -> bytes:
    """The report as PDF bytes (renders the chart images with one warm browser)."""
    st = _styles()
    rendered = pack.render_images("png")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=1.6 * cm,
                            title=f"{pack.title} {pack.quarter}", author=ORGANISATION,
                            subject=pack.subtitle, lang="sv-SE")
    story: list = [Spacer(1, 3 * cm), _p(pack.title, st["title"]), _p(pack.subtitle, st["sub"]),
                   _p(ORGANISATION, st["meta"]), _p(f"Urval: {pack.selection}", st["meta"]),
                   _p(f"Data per {pack.data_date} · sammanställd {pack.created.isoformat()}",
                      st["meta"]), _p(pack.status, st["meta"])]
    if pack.demo:
        story.append(_p(DEMO_NOTE, st["warn"]))
    story += [PageBreak(), _p(f"Sammanfattning {pack.quarter}", st["h1"])]
    story += [_p(s, st["bullet"], bullet=True) for s in pack.summary or ["Inga rapporter."]]
    story += [Spacer(1, 0.5 * cm), _p(f"Nyckeltal {pack.quarter}", st["h1"]),
              _key_table(pack, st), Spacer(1, 0.2 * cm),
              _p(summary.CHANGES_NOTE, st["small"])]
    if pack.missing_note:
        story.append(_p(pack.missing_note, st["small"]))
    if pack.assessment:  # the analysts' assessment, as they wrote it
        story += [PageBreak(), _p(f"Bedömning {pack.quarter}", st["h1"])]
        for section, text in pack.assessment:
            story.append(_p(section, st["cellb"]))
            story += [_p(p.strip(), st["body"]) for p in text.split("\n") if p.strip()]
    full_width = PAGE[0] - 2 * MARGIN
    # The frame's height (12 pt of padding) less a margin for rounding.
    frame_height = PAGE[1] - MARGIN - 1.6 * cm - 12 - 0.3 * cm
    for item in pack.charts:
        heading = _p(item.title, st["h1"])
        notes = [_p(n, st["small"]) for n in item.notes]
        # The chart gets what the heading and its notes leave of the page (long notes, e.g.
        # many context events, make it smaller instead of pushing the notes to a new page).
        text_height = sum(p.wrap(full_width, frame_height)[1] + p.style.spaceAfter
                          for p in [heading, *notes]) + 0.2 * cm
        width = full_width
        height = width * HEIGHT / WIDTH
        max_height = frame_height - text_height
        if height > max_height:
            width, height = max_height * WIDTH / HEIGHT, max_height
        image = Image(_jpeg(rendered[item.key]), width=width, height=height)
        image.hAlign = "CENTER"
        story += [PageBreak(), KeepTogether([heading, image, Spacer(1, 0.2 * cm), *notes])]
    story += [PageBreak(), _p("Metod och röjandekontroll", st["h1"])]
    story += [_p(text, st["body"]) for text in pack.method]
    if pack.public and pack.support:
        story += [PageBreak(), _p("Stöd och kontakter", st["h1"])]
        heading = None
        for line in pack.support:
            if line.group != heading:
                heading = line.group
                story.append(_p(heading, st["cellb"]))
            story.append(_p(line.text(), st["bullet"], bullet=True))
    footer = _page_footer(pack)
    previous = rl_config.useA85
    rl_config.useA85 = 0  # binary streams: ASCII85 in pure Python is slow and makes files big
    try:
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    finally:
        rl_config.useA85 = previous
    return buffer.getvalue()
