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
# The other way round: Latin letters that look like Cyrillic ones. Belarusian and Ukrainian lists type a Latin
# "i" for the Cyrillic "і" ("Уладзiмiравiч"): in a token that is mostly Cyrillic, the Latin letters are the slip.
_TO_CYRILLIC = str.maketrans("ABCEHIJKMOPSTXYacehijopsxy", "АВСЕНІЈКМОРЅТХУасеһіјорѕху")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u052F]")
_CONFUSABLE = re.compile(r"[\u0370-\u03FF\u0400-\u052F]")
# An apostrophe inside a word (the Arabic 'ayn in "Ja'far", Korean "Pyo'ng-ch'an", "O'Brien") is part of the
# word in one romanisation and absent in another: it is dropped, not made a word break.
_INNER_APOSTROPHE = re.compile(r"(?<=\w)['\u2019\u02bc\u02bb\u2018`\u00b4](?=\w)")


# C1 control characters (U+0080-U+009F) in decoded text are Windows-1252 bytes that an earlier step decoded as
# Latin-1: the US Consolidated Screening List and the UK's combined list write "Xi\x92an" for "Xi’an". Each is put
# back as the character Windows-1252 meant ("’", "Š", "€" ...); the five bytes it leaves undefined are dropped.
_C1 = re.compile("[\x80-\x9f]")
_C1_AS_CP1252 = str.maketrans({b: bytes([b]).decode("cp1252", errors="ignore") or None for b in range(0x80, 0xA0)})


def repair_c1(text: str) -> str:
    """``text`` with Windows-1252 characters mis-decoded as C1 controls put back (see _C1_AS_CP1252)."""
    return text.translate(_C1_AS_CP1252) if _C1.search(text) else text


def strip_invisible(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text  # the common case, at no cost
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES or ch in "\t\n\r"
    )


def fold_homoglyphs(token: str) -> str:
    """In a token mixing scripts, map look-alike letters to the token's main script: Latin look-alikes to
    Cyrillic in a mostly Cyrillic token, Cyrillic/Greek look-alikes to Latin otherwise."""
    if _CONFUSABLE.search(token) and _LATIN.search(token):
        if len(_CYRILLIC.findall(token)) > len(_LATIN.findall(token)):
            return token.translate(_TO_CYRILLIC)
        return token.translate(_HOMOGLYPHS)
    return token


def clean(text: str) -> str:
    """NFKC (full-width forms, ligatures), invisible characters and inner apostrophes out, homoglyphs folded,
    casefolded."""
    text = _INNER_APOSTROPHE.sub("", unicodedata.normalize("NFKC", strip_invisible(text)))
    return " ".join(fold_homoglyphs(t) for t in text.split()).casefold()
