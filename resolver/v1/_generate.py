"""Regenerate the Python stubs for protos/resolver/v1/*.proto with grpcio-tools.

The stubs are committed (an install needs no build step); tests/test_protos.py fails when they
are stale. Run: ``python -m resolver.v1._generate``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


def generate(out_dir: Path) -> list[Path]:
    """Write resolver/v1/*_pb2*.py(i) under out_dir; returns the files written."""
    sources = sorted(str(p.relative_to(PROTOS)) for p in (PROTOS / "resolver" / "v1").glob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    out = str(out_dir)
    code = protoc.main(
        ["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}", f"--python_out={out}", f"--pyi_out={out}",
         f"--grpc_python_out={out}", *sources]
    )  # fmt: skip
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")
    return sorted((out_dir / "resolver" / "v1").glob("*_pb2*"))


if __name__ == "__main__":
    written = generate(ROOT)
    sys.stdout.write("".join(f"{p.relative_to(ROOT)}\n" for p in written))
