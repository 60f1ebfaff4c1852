"""Text normalisation shared by header matching, code-list matching and report identities."""

from __future__ import annotations

import html
import re
import unicodedata

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})
_SPACES = re.compile(r"\s+")
# Characters a person cannot see but that text pasted from Teams, Word or a web page carries:
# zero-width space and joiners, word joiner, byte-order mark, soft hyphen, Mongolian vowel
# separator, and the bidirectional marks and isolates.
INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_CHARACTERS = re.compile(f"[{INVISIBLE}]")
# Decorations a template author adds to a header: a required-mark and a parenthesised note
# ("Datum *", "Datum (obligatorisk)", "Område:"), left out when headers are matched.
_DECORATION = re.compile(r"(?:\s*(?:\*+|\([^()]*\)|\[[^\[\]]*\]|:))+\s*$")
_LEADING_MARK = re.compile(r"^\s*\*+\s*")


def strip_invisible(text: str) -> str:
    """The text without invisible characters (zero-width spaces, soft hyphens, …)."""
    return _INVISIBLE_CHARACTERS.sub("", text) if text and not text.isascii() else text


def match_key(value: object) -> str:
    """Fold a value for matching: no case, no diacritics, one kind of dash, single spaces,
    no invisible characters.

    >>> match_key("  Område ") == match_key("omrade")
    True
    >>> match_key("13–15") == match_key("13 - 15".replace(" ", ""))
    True
    >>> match_key("Po\\u200blis") == match_key("Polis")
    True
    """
    text = unicodedata.normalize("NFKD", strip_invisible(str(value))).translate(_DASHES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", text).strip().casefold()
    return re.sub(r"\s*-\s*", "-", text)


def header_key(value: object) -> str:
    """match_key of a header without its decorations: 'Datum *', 'Datum (obligatorisk)' and
    'Datum:' all match 'Datum'."""
    text = strip_invisible(str(value))
    bare = _LEADING_MARK.sub("", _DECORATION.sub("", text))
    return match_key(bare or text)


def normalise_id(value: str) -> str:
    """A report id as it is stored and compared: Unicode NFC (macOS writes å as a + ring),
    no invisible characters, no surrounding white space."""
    return unicodedata.normalize("NFC", strip_invisible(value)).strip()


def ascii_slug(text: str) -> str:
    """A file-name-safe ASCII slug: 'Trender per form' -> 'trender_per_form'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_") or "fil"


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    """The text with every control, format and line/paragraph separator character written
    as an escape (ESC -> "\\x1b", CSI -> "\\x9b", RLO -> "\\u202e", newline -> "\\n"), so that
    a stored text can neither steer a terminal nor hide, reorder or add lines.

    >>> printable("anna\\x1b[2K\\rok")
    'anna\\\\x1b[2K\\\\rok'
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == " " or unicodedata.category(ch) not in _INVISIBLE:
            out.append(ch)
        elif ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)


# -- text that did not come from the code, shown as plain text -----------------------------------
# Characters that mean something in Streamlit's Markdown (CommonMark, GFM tables and
# strikethrough, Streamlit's :colour[...] and :icon: directives, $math$) or in HTML.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:&\"'=^")
# Where GFM would turn plain text into a link (https://…, www.…, a@b.se): a word joiner
# (U+2060, invisible) keeps it text. Character references do not stop that autolinking.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)|(?=@[^\s@]+\.[^\s@])")
_WORD_JOINER = "\u2060"


def _one_line(value: object) -> str:
    return printable(" ".join(str(value).split()))


def literal_markdown(value: object) -> str:
    """A text from outside the code (a URL value, a file name, a code-list value or
    description, an event title, an activity text, a user name) for a Markdown context
    (Streamlit's st.markdown, captions, alerts, labels), so that it shows as itself: every
    Markdown or HTML character as a numeric character reference (which CommonMark shows as the
    character and never as markup), no link made of a bare URL or e-mail address, control
    characters written out ("\\x1b"), line breaks as spaces.

    >>> literal_markdown("**x** [y](z)")
    '&#42;&#42;x&#42;&#42; &#91;y&#93;&#40;z&#41;'
    """
    text = _AUTOLINK.sub(_WORD_JOINER, _one_line(value))
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def literal_html(value: object) -> str:
    """The same for a context that reads (a little) HTML: plotly's text, hover and annotation
    labels (which make <a href> a link) and reportlab's paragraphs."""
    return html.escape(_one_line(value), quote=True)
