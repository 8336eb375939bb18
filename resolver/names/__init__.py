"""Name intelligence, used identically at ingest, training and query time.

``prepare_name(text, kind)`` runs a small pipeline (one function per step, structlog-style):
clean → casefold → transliterate → strip honorifics / canonicalise legal forms → tokenise →
keys. Its output, ``NameFeatures``, is what the Splink model compares and what the candidate
index is keyed on, so both see exactly the same strings.
"""

from resolver.names.prepare import NameFeatures, prepare_name

__all__ = ["NameFeatures", "prepare_name"]
