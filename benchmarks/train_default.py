"""Reproduce the shipped default model (resolver/data/model/) from the shared data.

    python -m benchmarks.train_default [--out resolver/data/model]

1. Ingest the latest version of every shared registry into a temporary store.
2. Write the held-out benchmark names (listing groups held out by benchmarks/accuracy/split.py) and
   the TRAIN split of the labelled pairs as CSV files.
3. Run `resolver train --exclude-names HELD_OUT --tune-pairs TRAIN_PAIRS --tune-negatives HALF`:
   entities holding a held-out name are not trained on; the threshold is the lowest match weight
   that flags at most 5% of the train split's non-matching pairs, raised until at most 0.4% of the
   tuning half of the synthetic negatives (sha256(full_name) even) is flagged. The accuracy
   benchmark's test split and the other half of the negatives are never seen.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.accuracy.split import heldout_names, is_tuning_negative, load_pairs, shared_data_dir
from benchmarks.registry_files import latest_registry_paths

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = {"person": "Person", "organization": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}


def tuning_negatives(data: Path) -> list[dict[str, str]]:
    with (data / "populations" / "synthetic_negatives_global.csv").open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if is_tuning_negative(row["full_name"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resolver" / "data" / "model")
    args = parser.parse_args()
    data = shared_data_dir()
    resolver = [sys.executable, "-m", "resolver.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "registry.duckdb")
        subprocess.run(
            [*resolver, "ingest", "--store", store, *map(str, latest_registry_paths(data / "registries"))], check=True
        )
        held_out = Path(tmp) / "held_out_names.txt"
        held_out.write_text("\n".join(sorted(heldout_names())) + "\n", encoding="utf-8")
        pairs = Path(tmp) / "train_pairs.csv"
        with pairs.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["name1", "name2", "label", "schema"])
            for row in load_pairs("train"):
                writer.writerow(
                    [row["name_a"], row["name_b"], row["label"], SCHEMAS.get(row["entity_type"], "LegalEntity")]
                )
        negatives = Path(tmp) / "tuning_negatives.csv"
        with negatives.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["name", "kind", "birth_date", "country"])
            for row in tuning_negatives(data):
                writer.writerow([row["full_name"], "person", row["date_of_birth"], row["nationality"]])
        subprocess.run(
            [*resolver, "train", "--store", store, "--out", str(args.out), "--exclude-names", str(held_out),
             "--tune-pairs", str(pairs), "--tune-negatives", str(negatives)],
            check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
