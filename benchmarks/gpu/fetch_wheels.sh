#!/usr/bin/env bash
# Download, here, the wheels that the GPU machine lacks for `import transcribe.asr, transcribe.diarise,
# transcribe.pipeline, transcribe.batch` and for benchmarks/bench.py (recognition, diarisation, scoring).
#
# The GPU image (Python 3.12, torch 2.11 CUDA, torchaudio, lightning, numpy, scipy, pandas, scikit-learn,
# tiktoken, numba, huggingface_hub, matplotlib, einops, protobuf, requests, click, lxml, pyyaml, tqdm, ...;
# see /work/.library/device/KINDS.md) already holds the rest. The list below was found by reading each
# package's Requires-Dist against that image, then running the benchmark with only the image's packages
# and these (PYTHONPROFILEIMPORTTIME) to see which are imported. Installed with --no-deps, so requirements
# that nothing imports in this use are left out: optuna's alembic/SQLAlchemy/Mako (database storage),
# pytorch-metric-learning (training losses), googleapis-common-protos (the OTLP exporter's error details).
# Anonymisation (presidio, spaCy) is left out: the GPU run measures recognition and diarisation.
#
# Usage: bash benchmarks/gpu/fetch_wheels.sh [DEST]     (DEST defaults to .whl, which git ignores)
set -euo pipefail

DEST=${1:-.whl}
PYTHON=${PYTHON:-$(dirname "$0")/../../.venv/bin/python}

WHEELS=(
    # recognition
    more-itertools==11.2.1
    # diarisation: pyannote.audio and what it imports at import time
    pyannote.audio==4.0.7
    pyannote.core==6.1.0
    pyannote.database==6.1.1
    pyannote.metrics==4.2.0
    pyannote.pipeline==4.1.0
    asteroid-filterbanks==0.4.0
    torch-audiomentations==0.12.0
    julius==0.2.8
    torch-pitch-shift==1.2.5
    primePy==1.3
    optuna==5.0.0
    colorlog==6.12.0
    # pyannote's telemetry module imports the OTLP exporter even when telemetry is off
    opentelemetry-api==1.45.2
    opentelemetry-sdk==1.45.2
    opentelemetry-semantic-conventions==0.66b2
    opentelemetry-exporter-otlp-proto-http==1.45.2
    opentelemetry-exporter-http-transport==0.66b2
    opentelemetry-exporter-otlp-common==0.66b2
    opentelemetry-exporter-otlp-proto-common==1.45.2
    opentelemetry-proto==1.45.2
    protobuf==7.36.2
    # decoding (transcribe.audio) and the batch's imports (study file, writers)
    av==18.1.0
    jellyfish==1.3.0
    python-docx==1.2.0
    # scoring
    jiwer==4.0.0
    RapidFuzz==3.14.6
)

mkdir -p "$DEST"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$DEST" "${WHEELS[@]}"
# openai-whisper is published as a source archive only; its wheel is pure Python, so build it here.
"$PYTHON" -m pip wheel --quiet --no-deps -w "$DEST" openai-whisper==20250625

ls -l "$DEST"
du -cb "$DEST"/*.whl | awk 'END { printf "%d wheels, %.1f MB\n", NR - 1, $1 / 1e6 }'
