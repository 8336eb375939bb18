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

# Han ideographs and Japanese kana: written without spaces inside a name part, romanised per syllable.
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@lru_cache(maxsize=200_000)
def latin_token(token: str) -> str:
    """One token in lower-case ASCII. Punctuation stays: legal forms such as "s.a." or "co., ltd."
    are recognised with it, and the pipeline strips it afterwards."""
    if not token.isascii():
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
