"""The shared registry files that together make the latest version of every source.

Older files (OFAC SDN 2022-02-24 and 2021-07, UN 2020-11-24) and the format samples that repeat
a source (sdn.xml, sample_ofac_consolidated.xml, sample_unsc.xml) are other versions of the same
sources: they are ingested in their own commands (delta work), not beside the latest ones.
"""

from __future__ import annotations

from pathlib import Path

LATEST = (
    "ofac/sdn_2024-05-03.csv",
    "ofac/alt_2024-01-08.csv",
    "ofac/add_2024-01-08.csv",
    "ofac/consolidated_2025-12",
    "un/UN_consolidated_2026-02-27.xml",
    "combined/combined_us_uk_eu_2022-05-05.csv",
    "bis/denied_persons_2022-09.txt",
    "bis/consolidated_screening_list_sample.csv",
    "opensanctions/t1_entities.ftm.json",
    "opensanctions/zala_entities.ftm.json",
    "format_samples/sample_eu.xml",
    "format_samples/sample_hmt.csv",
)


def latest_registry_paths(registries: Path) -> list[Path]:
    return [registries / p for p in LATEST]


# Every file under registries/, as a history: older versions first, one ingest command each,
# so that each source's versions become successive snapshots (sources cannot repeat in one command).
HISTORY = (
    ("format_samples/sdn.xml", "un/UN_consolidated_2020-11-24.xml"),
    ("ofac/consistent_2021-07",),
    ("ofac/sdn_2022-02-24.csv", "format_samples/sample_unsc.xml", "format_samples/sample_ofac_consolidated.xml"),
    LATEST,
)


def history_commands(registries: Path) -> list[list[Path]]:
    return [[registries / p for p in step] for step in HISTORY]
