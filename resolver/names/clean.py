"""Unicode clean-up: the first steps of every name, whatever its script."""

from __future__ import annotations

import re
import unicodedata

# Format characters (zero-width space/joiners, BOM, soft hyphen, bidi marks) hide inside copied
# names and defeat exact matching; control characters never belong in a name.
_INVISIBLE_CATEGORIES = ("Cf", "Cc")

# Cyrillic and Greek letters that look like Latin ones. A token mixing Latin with these is a
# homoglyph spoof or a keyboard slip ("АBRAMOVICH" with a Cyrillic А), never a real spelling.
_HOMOGLYPHS = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаЬсеһіјкорѕхуԁԛԝΑΒΕΗΙΚΜΝΟΡΤΥΧΖαβεικνορτυχ",
    "ABCEHIJKMOPSTXYabcehijkopsxydqwABEHIKMNOPTYXZabeikvoptux",
)
_LATIN = re.compile(r"[A-Za-z]")
_CONFUSABLE = re.compile(r"[\u0370-\u03FF\u0400-\u052F]")


def strip_invisible(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text  # the common case, at no cost
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES or ch in "\t\n\r"
    )


def fold_homoglyphs(token: str) -> str:
    """Map look-alike Cyrillic/Greek letters to Latin in tokens that are mostly Latin."""
    if _CONFUSABLE.search(token) and _LATIN.search(token):
        return token.translate(_HOMOGLYPHS)
    return token


def clean(text: str) -> str:
    """NFKC (full-width forms, ligatures), invisible characters out, homoglyphs folded, casefolded."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    return " ".join(fold_homoglyphs(t) for t in text.split()).casefold()
