"""Score name pairs with OpenSanctions' logic-v2 (nomenklatura). Runs in benchmarks/.venv-nomenklatura only.

    .venv-nomenklatura/bin/python logic_v2_worker.py IN.csv OUT.csv   # IN: key,schema,name_a,name_b
    .venv-nomenklatura/bin/python logic_v2_worker.py --version         # versions, for the cache key

Writes OUT as key,score, flushed as it goes, so the caller keeps what was scored if this process dies.
Imports nothing from the project: nomenklatura lives in its own virtualenv, never in the project's dependencies.
name_a is the query and name_b the candidate (logic-v2 is asymmetric: unmatched query words cost more).
"""

from __future__ import annotations

import csv
import sys
from importlib.metadata import version


def main(argv: list[str]) -> int:
    if argv == ["--version"]:
        print(f"nomenklatura-{version('nomenklatura')}_followthemoney-{version('followthemoney')}")
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    from followthemoney import model  # type: ignore[import-not-found,unused-ignore]  # its own venv
    from nomenklatura.matching import get_algorithm  # type: ignore[import-not-found,unused-ignore]

    algorithm = get_algorithm("logic-v2")
    if algorithm is None:
        print("nomenklatura has no algorithm named logic-v2", file=sys.stderr)
        return 1
    config = algorithm.default_config()
    with open(argv[0], newline="", encoding="utf-8") as src, open(argv[1], "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["key", "score"])
        for n, row in enumerate(csv.DictReader(src)):
            # Ids must be unique per entity: nomenklatura memoises name analysis with lru_cache keyed by entity
            # (whose hash is its id), so reused ids silently return the first pair's score for every pair.
            query = model.make_entity(row["schema"])
            query.id = f"q{n}"
            query.add("name", row["name_a"])
            candidate = model.make_entity(row["schema"])
            candidate.id = f"c{n}"
            candidate.add("name", row["name_b"])
            writer.writerow([row["key"], repr(algorithm.compare(query, candidate, config).score)])
            if n % 500 == 499:
                out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
