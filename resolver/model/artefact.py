"""The model as a versioned artefact: Splink's JSON plus a manifest (version, threshold, provenance).

The version is the sha256 of the model JSON's bytes, so two services that name the same version
score identically. The shipped default lives in resolver/data/model/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "model"
MODEL_FILE = "model.json"
MANIFEST_FILE = "manifest.json"
TF_FILE = "term_frequencies.json.gz"  # the training registry's term frequencies, for scoring pairs


class ModelError(Exception):
    """The model artefact is missing, corrupt, or does not match its manifest."""


@dataclass(frozen=True)
class ModelArtefact:
    model: dict[str, Any]  # Splink's model JSON
    version: str  # "fs-" + the first 12 hex digits of the model file's sha256
    threshold_match_weight: float  # the default decision threshold, as a match weight
    manifest: dict[str, Any]
    # the training registry's term frequencies, or the file they are read from when first asked for (see below)
    tf_source: dict[str, dict[str, float]] | Path

    @cached_property
    def term_frequencies(self) -> dict[str, dict[str, float]]:
        """The training registry's term frequencies, for scoring pairs outside any registry (`resolver compare`).
        Read on first use: a server scores against its own registry's and would keep ~9 MiB per process for nothing."""
        if isinstance(self.tf_source, dict):
            return self.tf_source
        try:
            data: dict[str, dict[str, float]] = json.loads(gzip.decompress(self.tf_source.read_bytes()))
        except (OSError, ValueError, EOFError) as exc:
            raise ModelError(f"cannot read the model's term frequencies in {self.tf_source}: {exc}") from exc
        return data

    @property
    def prior(self) -> float:
        return float(self.model["probability_two_random_records_match"])


def _dumps(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_artefact(
    directory: Path,
    model: dict[str, Any],
    *,
    threshold_match_weight: float,
    term_frequencies: dict[str, dict[str, float]],
    provenance: dict[str, Any],
) -> ModelArtefact:
    directory.mkdir(parents=True, exist_ok=True)
    data = _dumps(model)
    sha = hashlib.sha256(data).hexdigest()
    manifest = {
        "model_file": MODEL_FILE,
        "sha256": sha,
        "version": f"fs-{sha[:12]}",
        "threshold_match_weight": threshold_match_weight,
        "splink_version": provenance.pop("splink_version", None),
        **provenance,
    }
    (directory / MODEL_FILE).write_bytes(data)
    (directory / MANIFEST_FILE).write_bytes(_dumps(manifest))
    (directory / TF_FILE).write_bytes(gzip.compress(_dumps(term_frequencies), mtime=0))
    return ModelArtefact(model, manifest["version"], threshold_match_weight, manifest, term_frequencies)


def load_artefact(directory: Path = DEFAULT_MODEL_DIR) -> ModelArtefact:
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        data = (directory / manifest["model_file"]).read_bytes()
        if not (directory / TF_FILE).is_file():  # read when first needed (ModelArtefact.term_frequencies)
            raise OSError(f"no {TF_FILE}")
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ModelError(f"cannot read the model in {directory}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise ModelError(f"{directory / manifest['model_file']} does not match its manifest's sha256")
    threshold = float(manifest["threshold_match_weight"])
    return ModelArtefact(json.loads(data), manifest["version"], threshold, manifest, directory / TF_FILE)
