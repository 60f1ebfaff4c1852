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
