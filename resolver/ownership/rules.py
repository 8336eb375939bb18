"""The ownership rules of each jurisdiction, read from rules.json: data, not code paths."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("rules.json")


@dataclass(frozen=True)
class Rule:
    jurisdiction: str  # "US_OFAC", "EU", "UK", "US_BIS" (the proto's Jurisdiction names without the prefix)
    title: str
    threshold: float  # percent
    inclusive: bool  # ">= threshold" (True) or "> threshold" (False)
    aggregate: bool  # sum the holdings of different listed persons, or judge each listed person alone
    control_blocks: bool  # a listed controller blocks without ownership
    sources: frozenset[str]
    lists: frozenset[str]
    programs: frozenset[str]
    in_force: tuple[tuple[str | None, str | None], ...]  # [from, to] ISO dates, inclusive; None = open

    def passes(self, share: float) -> bool:
        return share >= self.threshold if self.inclusive else share > self.threshold

    def comparison(self) -> str:
        return f"{'>=' if self.inclusive else '>'} {self.threshold:g}%"

    def in_force_on(self, day: str) -> bool:
        return any((start is None or start <= day) and (end is None or day <= end) for start, end in self.in_force)

    def lists_entity(self, source: str, lists: list[str], programs: list[str]) -> bool:
        return (
            source in self.sources or bool(self.lists.intersection(lists)) or bool(self.programs.intersection(programs))
        )


def _rule(name: str, data: dict[str, Any]) -> Rule:
    listed = data["listed_by"]
    return Rule(
        jurisdiction=name,
        title=data["title"],
        threshold=float(data["threshold"]),
        inclusive=bool(data["inclusive"]),
        aggregate=bool(data["aggregate"]),
        control_blocks=bool(data["control_blocks"]),
        sources=frozenset(listed.get("sources", [])),
        lists=frozenset(listed.get("lists", [])),
        programs=frozenset(listed.get("programs", [])),
        in_force=tuple((w.get("from"), w.get("to")) for w in data["in_force"]),
    )


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_rule(name, body) for name, body in data["jurisdictions"].items()]
