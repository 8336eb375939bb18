"""Transliteration to Latin ASCII, token by token, with the OpenSanctions libraries.

rigour gives the conventional romanisations of Cyrillic, Greek, Armenian, Georgian and Hangul
(Шевченко → shevchenko, as the lists write it); normality (ICU) covers the other scripts
(Arabic, Chinese, ...). Per-token caching matters: rigour's Cyrillic path costs ~0.3 ms per call,
and names share most of their tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

import normality
from rigour.text.translit import maybe_ascii

# Arabic-script letters ICU romanises in ways no list writes:
# - the ʿayn (ع) and the hamza (ء) come out as "?", which would split "سعيد" into "s yd". The lists write ʿayn as
#   a vowel or not at all (Ali, Omar, Abd, Said), and a hamza on its own not at all: both go. (An alif for the
#   ʿayn would read better, but would make "علي" the word "aly" and every "محمد علي" a two-word subset of the
#   longer names that hold both words.)
# - the ta marbuta (ة, Urdu ۃ) comes out as "t" ("الجاروشة" → "aljarwsht") where the lists write -ah/-a/-eh
#   ("AL-JAROUCHAH", "Hilweh"): it becomes "ah"; the alif maqsura (ى) comes out as "y" where they write a ("Musa");
# - the Urdu/Pashto letters (ہ ھ ۀ ٹ ڈ ڑ ں ے ۓ: "اظہر", "چوہدری") come out as "?": they become the Arabic
#   letters they are romanised like (h, t, d, r, n, y);
# - tanwin (ً) comes out as "an": it is a case ending, never written in a romanised name.
_ARABIC_LETTERS = str.maketrans(
    {
        "\u0639": "", "\u0621": "", "\u0629": "\u0627\u0647", "\u06c3": "\u0627\u0647", "\u0649": "\u0627",
        "\u06c1": "\u0647", "\u06be": "\u0647", "\u06c0": "\u0647", "\u0679": "\u062a", "\u0688": "\u062f",
        "\u0691": "\u0631", "\u06ba": "\u0646", "\u06d2": "\u064a", "\u06d3": "\u064a", "\u064b": "",
    }
)  # fmt: skip
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# The article al- (ال) is written joined to its word in Arabic ("الرشد") and apart in the lists ("AL-RASHED"): it
# is split off, so the word itself can meet its romanisation (and "al", a stopword, is left out of the tokens).
# Not in الله (Allah, "Abdullah"), where the l is the word's own.
_ARABIC_ARTICLE = re.compile(r"^\u0627\u0644(?=[\u0600-\u06ff]{2})(?!\u0644\u0647$)")


def _arabic(token: str) -> str:
    """An Arabic-script token made ready for ICU (see _ARABIC_LETTERS): the article is split off first, so that
    a word it no longer starts once the ʿayn is gone ("العمدوني") keeps its own first letters."""
    return _ARABIC_ARTICLE.sub("\u0627\u0644 ", token).translate(_ARABIC_LETTERS)


# Han ideographs and Japanese kana: written without spaces inside a name part, romanised per syllable.
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@lru_cache(maxsize=50_000)  # ICU is the costly step of a new word (tens of microseconds)
def latin_token(token: str) -> str:
    """One token in lower-case ASCII. Punctuation stays: legal forms such as "s.a." or "co., ltd."
    are recognised with it, and the pipeline strips it afterwards."""
    if not token.isascii():
        if _ARABIC.search(token):
            token = _arabic(token)
        token = maybe_ascii(token)
        if not token.isascii():
            token = normality.ascii_text(token) or ""
    return token.lower().strip()


def _cjk_part(token: str, alone: bool) -> str:
    """A Han/kana name part, romanised as the lists write it. ICU gives one word per character
    ("习近平" → "xi jin ping"), which would make every syllable a word and let any two Chinese names
    align. Pinyin writes a name part as one word; a part written alone is the whole name, surname
    first (习近平 → "xi jinping", 李明 → "li ming")."""
    syllables = latin_token(token).split()
    if alone and len(syllables) >= 2:
        return syllables[0] + " " + "".join(syllables[1:])
    return "".join(syllables)


def latinize(text: str) -> str:
    tokens = text.split()
    alone = len(tokens) == 1
    out = (_cjk_part(tok, alone) if _CJK.match(tok) else latin_token(tok) for tok in tokens)
    return " ".join(t for t in out if t)
