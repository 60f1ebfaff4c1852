"""Text from outside the code as plain text (findings 1 and 2 of the security review): the
one helper for Markdown (`literal_markdown`, `ui.render.plain`) and its counterpart for plotly
and reportlab (`literal_html`), and the event titles on charts and in exports."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lagesbild.domain.text import literal_html, literal_markdown, printable

HOSTILE = ["**x**", "[x](https://evil.example/p)", "![x](http://evil.example/i.png)",
           "<img src=x onerror=alert(1)>", "\x1b[2K\rok", ":red[röd] :material/home: $x$",
           "www.evil.example", "anna@evil.example", "# rubrik", "> citat", "1. lista",
           "a\\*b", "`kod`", "~~stryk~~", "| a | b |", "<script>alert(1)</script>"]


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_markdown_leaves_no_markup_character(text: str) -> None:
    out = literal_markdown(text)
    outside_references = re.sub(r"&#\d+;", "", out)
    assert not set(outside_references) & set("\\`*_{}[]()<>#+-.!|~$:\"'=^&\x1b\r\n")
    # what a reader sees: the references decoded, the invisible word joiners gone; control
    # characters written out, line breaks as spaces
    shown = html.unescape(out).replace("\u2060", "")
    assert shown == printable(" ".join(text.split()))


@given(st.text(max_size=60))
def test_literal_markdown_shows_any_text_as_itself(text: str) -> None:
    out = literal_markdown(text)
    assert "\n" not in out and "\x1b" not in out
    assert html.unescape(out).replace("\u2060", "") == printable(" ".join(text.split()))


def test_literal_html_is_text_for_plotly_and_reportlab() -> None:
    assert literal_html("<a href='https://evil.example'>x</a> & <br>") == \
        "&lt;a href=&#x27;https://evil.example&#x27;&gt;x&lt;/a&gt; &amp; &lt;br&gt;"


def test_event_titles_on_charts_are_text_not_links() -> None:
    from lagesbild.charts import add_events

    fig = go.Figure(go.Scatter(x=["2026K1", "2026K2", "2026K3"], y=[1, 2, 3]))
    fig.update_layout(meta={"lagesbild_style": "slide"})
    title = "<a href='https://evil.example'>Klicka</a> <img src=x>"
    add_events(fig, [(dt.date(2026, 5, 2), "<b>Kategori</b>", title)])
    spec = json.dumps(fig.to_plotly_json()["layout"].get("annotations", []))
    assert "<a " not in spec and "<img" not in spec and "<b>Kategori" not in spec
    assert "&lt;a href=" in spec


def test_the_pdf_writes_outside_text_as_text_and_fetches_nothing() -> None:
    """reportlab reads <img src> and <a href> in a paragraph: every paragraph of the PDF is
    made by one helper that escapes its text."""
    import inspect

    from lagesbild.export import report

    text = "<img src='http://evil.example/i.png'/> <a href='https://evil.example'>y</a>"
    paragraph = report._p(text, report._styles()["body"])
    assert paragraph.getPlainText() == text  # the markup is the text itself
    assert "evil.example" not in str(paragraph.frags[0].__dict__.get("link", ""))
    assert inspect.getsource(report).count("Paragraph(") == 1
