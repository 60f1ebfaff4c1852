"""Text normalisation shared by header matching, code-list matching and report identities."""

from __future__ import annotations

import re
import unicodedata

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})
_SPACES = re.compile(r"\s+")
# Characters a person cannot see but that text pasted from Teams, Word or a web page carries:
# zero-width space and joiners, word joiner, byte-order mark, soft hyphen, Mongolian vowel
# separator, and the bidirectional marks and isolates.
INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Decorations a template author adds to a header: a required-mark and a parenthesised note
# ("Datum *", "Datum (obligatorisk)", "Område:"), left out when headers are matched.
_DECORATION = re.compile(r"(?:\s*(?:\*+|\([^()]*\)|\[[^\[\]]*\]|:))+\s*$")
_LEADING_MARK = re.compile(r"^\s*\*+\s*")


def strip_invisible(text: str) -> str:
    """The text without invisible characters (zero-width spaces, soft hyphens, …)."""
    return _INVISIBLE.sub("", text) if text and not text.isascii() else text


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
