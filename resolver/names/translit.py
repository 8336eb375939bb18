"""Transliteration to Latin ASCII, token by token, with the OpenSanctions libraries.

rigour gives the conventional romanisations of Cyrillic, Greek, Armenian, Georgian and Hangul
(Шевченко → shevchenko, as the lists write it); normality (ICU) covers the other scripts
(Arabic, Chinese, ...). Per-token caching matters: rigour's Cyrillic path costs ~0.3 ms per call,
and names share most of their tokens.
"""

from __future__ import annotations

from functools import lru_cache

import normality
from rigour.text.translit import maybe_ascii


@lru_cache(maxsize=200_000)
def latin_token(token: str) -> str:
    """One token in lower-case ASCII. Punctuation stays: legal forms such as "s.a." or "co., ltd."
    are recognised with it, and the pipeline strips it afterwards."""
    if not token.isascii():
        token = maybe_ascii(token)
        if not token.isascii():
            token = normality.ascii_text(token) or ""
    return token.lower().strip()


def latinize(text: str) -> str:
    return " ".join(t for t in (latin_token(tok) for tok in text.split()) if t)
