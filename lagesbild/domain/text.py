"""Text normalisation shared by header matching and code-list matching."""

from __future__ import annotations

import re
import unicodedata

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})
_SPACES = re.compile(r"\s+")


def match_key(value: object) -> str:
    """Fold a value for matching: no case, no diacritics, one kind of dash, single spaces.

    >>> match_key("  Område ") == match_key("omrade")
    True
    >>> match_key("13–15") == match_key("13 - 15".replace(" ", ""))
    True
    """
    text = unicodedata.normalize("NFKD", str(value)).translate(_DASHES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", text).strip().casefold()
    return re.sub(r"\s*-\s*", "-", text)


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
