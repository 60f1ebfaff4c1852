"""The meeting pack as a 16:9 PowerPoint deck (python-pptx).

Slides: title (period, date, "Lägesbild – våldsbejakande extremism"), the quarter's summary
in plain Swedish, the key indicators as a table, one slide per chart (the chart as a PNG
picture filling the slide; its key figures in the speaker notes), method and disclosure
control, and — in the public variant — support lines. Every slide but the title and the chart
slides (whose images carry it) has the footer with source, data date and disclosure rule.

Chart slides keep a real slide title (for the outline view and screen readers) behind the
picture, which has its own title, subtitle and source line drawn in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from lagesbild.export.images import HEIGHT, WIDTH
from lagesbild.export.pack import ORGANISATION, Pack
from lagesbild.numbers import summary

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
SLIDE_W, SLIDE_H = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 in, exactly 16:9
MARGIN = Inches(0.6)
DARK = RGBColor(0x22, 0x22, 0x22)
GREY = RGBColor(0x55, 0x55, 0x55)
ACCENT = RGBColor(0x00, 0x72, 0xB2)
WARN = RGBColor(0xD5, 0x5E, 0x00)
TITLE_LAYOUT, CONTENT_LAYOUT, TITLE_ONLY_LAYOUT = 0, 1, 5


def _style(run, size: int, *, bold: bool = False, colour: RGBColor = DARK) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour


def _set_title(slide, text: str, size: int = 32) -> None:
    title = slide.shapes.title
    title.left, title.top = MARGIN, Inches(0.35)
    title.width, title.height = SLIDE_W - 2 * MARGIN, Inches(1.0)
    frame = title.text_frame
    frame.text = text
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.word_wrap = True
    para = frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    for run in para.runs:
        _style(run, size, bold=True)


def _text_box(slide, left, top, width, height, paragraphs: Sequence[str], size: int, *,
              colour: RGBColor = DARK, bullets: bool = False, space: int = 8,
              bold_first: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, text in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.space_after = Pt(space)
        run = para.add_run()
        run.text = f"•  {text}" if bullets else text
        _style(run, size, colour=colour, bold=bold_first and i == 0)
    return box


def _footer(slide, pack: Pack) -> None:
    _text_box(slide, MARGIN, SLIDE_H - Inches(0.55), SLIDE_W - 2 * MARGIN, Inches(0.4),
              [pack.footer], 11, colour=GREY)


def _notes(slide, lines: Sequence[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def _remove_empty_placeholders(slide) -> None:
    for shape in list(slide.placeholders):
        empty = not shape.has_text_frame or not shape.text_frame.text.strip()
        if shape.placeholder_format.idx != 0 and empty:
            shape._element.getparent().remove(shape._element)


def _title_slide(prs, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    title = slide.shapes.title
    title.left, title.top = MARGIN, Inches(1.6)
    title.width, title.height = SLIDE_W - 2 * MARGIN, Inches(1.5)
    title.text_frame.text = pack.title
    title.text_frame.word_wrap = True
    para = title.text_frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    for run in para.runs:
        _style(run, 44, bold=True, colour=ACCENT)
    sub = slide.placeholders[1]
    sub.left, sub.top = MARGIN, Inches(3.3)
    sub.width, sub.height = SLIDE_W - 2 * MARGIN, Inches(2.6)
    lines = [ORGANISATION, pack.subtitle, f"Urval: {pack.selection}",
             f"Data per {pack.data_date} · sammanställd {pack.created.isoformat()}",
             pack.status]
    frame = sub.text_frame
    for i, text in enumerate(lines):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.alignment = PP_ALIGN.LEFT
        run = p.add_run()
        run.text = text
        _style(run, 24 if i == 1 else 18, bold=i == 1, colour=DARK if i == 1 else GREY)
    if pack.demo:
        from lagesbild.export.pack import DEMO_NOTE

        _text_box(slide, MARGIN, Inches(6.0), SLIDE_W - 2 * MARGIN, Inches(0.8), [DEMO_NOTE],
                  16, colour=WARN)
    _notes(slide, [pack.title, pack.subtitle, f"Urval: {pack.selection}", pack.footer])


def _summary_slide(prs, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _set_title(slide, f"Sammanfattning {pack.quarter}")
    size = 22 if sum(len(s) for s in pack.summary) < 700 else 18
    _text_box(slide, MARGIN, Inches(1.5), SLIDE_W - 2 * MARGIN, Inches(5.2),
              pack.summary or ["Inga rapporter i urvalet."], size, bullets=True, space=12)
    _footer(slide, pack)
    _notes(slide, [f"Urval: {pack.selection}", *pack.summary])


def _table_slide(prs, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _set_title(slide, f"Nyckeltal {pack.quarter}")
    table = pack.key_table
    rows, cols = len(table) + 1, len(table.columns)
    width = SLIDE_W - 2 * MARGIN
    shape = slide.shapes.add_table(rows, cols, MARGIN, Inches(1.6), width,
                                   Inches(0.6) * rows)
    grid = shape.table
    first = Inches(2.6)
    rest = Emu(int((width - first) / max(cols - 1, 1)))
    for j in range(cols):
        grid.columns[j].width = first if j == 0 else rest
    for j, column in enumerate(table.columns):
        _cell(grid.cell(0, j), str(column), 15, bold=True)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            _cell(grid.cell(i, j), str(value), 15, bold=j == 0)
    notes = [summary.CHANGES_NOTE]
    if pack.missing_note:
        notes.append(pack.missing_note)
    _text_box(slide, MARGIN, Inches(1.8) + Inches(0.6) * rows, width, Inches(1.2), notes, 14,
              colour=GREY)
    _footer(slide, pack)
    _notes(slide, [" · ".join(f"{c}: {v}" for c, v in zip(table.columns, row, strict=True))
                   for row in table.itertuples(index=False)])


def _cell(cell, text: str, size: int, *, bold: bool = False) -> None:
    cell.text = text
    for para in cell.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)
            run.font.bold = bold


def _chart_slide(prs, pack: Pack, item, image: bytes) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _set_title(slide, item.title)
    height = int(SLIDE_W * HEIGHT / WIDTH)
    top = max(int((SLIDE_H - height) / 2), 0)
    picture = slide.shapes.add_picture(io.BytesIO(image), 0, top, SLIDE_W, height)
    picture.name = f"Diagram: {item.title}"
    picture._element.nvPicPr.cNvPr.set("descr", item.alt_text or item.title)
    _notes(slide, [item.title, *item.notes, pack.footer])


def _text_slide(prs, pack: Pack, title: str, paragraphs: Sequence[str], size: int,
                notes: Sequence[str] = ()) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _set_title(slide, title)
    _text_box(slide, MARGIN, Inches(1.4), SLIDE_W - 2 * MARGIN, Inches(5.4), paragraphs, size,
              space=10)
    _footer(slide, pack)
    _notes(slide, notes or [title])


def deck_bytes(pack: Pack) -> bytes:
    """The deck as .pptx bytes (renders the chart images with one warm browser)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    prs.core_properties.title = f"{pack.title} {pack.quarter}"
    prs.core_properties.author = ORGANISATION
    prs.core_properties.language = "sv-SE"
    rendered = pack.render_images("png")
    _title_slide(prs, pack)
    _summary_slide(prs, pack)
    _table_slide(prs, pack)
    for heading, text in pack.assessment:  # the analysts' assessment, as they wrote it
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        size = 18 if len(text) < 900 else 14
        _text_slide(prs, pack, heading, paragraphs or ["–"], size, notes=[heading, text])
    for item in pack.charts:
        _chart_slide(prs, pack, item, rendered[item.key])
    method_size = 13 if sum(len(p) for p in pack.method) > 1800 else 15
    _text_slide(prs, pack, "Metod och röjandekontroll", pack.method, method_size,
                notes=["Metod och röjandekontroll", pack.disclosure_note])
    if pack.public and pack.support:
        groups: dict[str, list[str]] = {}
        for line in pack.support:
            groups.setdefault(line.group, []).append(line.text())
        paragraphs = [p for heading, texts in groups.items() for p in (heading, *texts)]
        _text_slide(prs, pack, "Stöd och kontakter", paragraphs, 13,
                    notes=["Stöd och kontakter"])
    for slide in prs.slides:
        _remove_empty_placeholders(slide)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
