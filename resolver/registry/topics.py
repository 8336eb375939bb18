"""Topics derived from what a list says, the same way for every source.

Parsers set what their list states (sanction, export.control, debarment, role.oligarch ...);
this adds the derived "russia-related" topic, so that screens can single out the Russia regimes
whatever list or spelling they come from.
"""

from __future__ import annotations

import re
from functools import lru_cache

from resolver.registry.records import Entity

RUSSIA_RELATED = "russia-related"

# Programme / regime labels of the Russia and Ukraine-related regimes across OFAC, UK, EU and UN lists.
_RUSSIA_PROGRAM = re.compile(
    r"RUSSIA|UKRAINE|EO1366[0-2]|EO14024|EO14066|EO14068|EO14071|CAATSA|\bUKR\b|\bRUS\b|BELARUS|CYBER2|MAGNIT",
    re.IGNORECASE,
)


def derive_topics(entity: Entity) -> list[str]:
    """The entity's topics plus derived ones, de-duplicated and sorted (stable hashes, stable output)."""
    topics = set(entity.topics)
    if any(_is_russia_program(p) for p in entity.programs):
        topics.add(RUSSIA_RELATED)
    return sorted(topics)


@lru_cache(maxsize=8192)
def _is_russia_program(program: str) -> bool:
    return _RUSSIA_PROGRAM.search(program) is not None
