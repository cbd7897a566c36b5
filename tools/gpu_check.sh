#!/usr/bin/env bash
# Everything that needs a GPU, in one command, in under 8 minutes on one H100 or H200; prints one
# summary at the end. Run it from the repository root as it is:
#
#     bash tools/gpu_check.sh [OUTDIR]          (default OUTDIR: runs/gpu_check)
#
# Stages, each with its own time limit and log in OUTDIR:
#   precision  a forward/backward in fp32, bf16 and fp16 (+ gradient scaler), and label.py's
#              pipeline on the GPU against the CPU (tools/gpu_check.py)
#   bench      the benchmark (tools/benchmark.py): training images/s and peak memory, fast path
#              vs the fp32 eager baseline, inference ms per slice, label.py s/volume
#   training   a real training run with its accuracy: one leave-one-subject-out fold of the
#              shipped recipe at half its epochs (sub-errsm20 held out, trained on the other
#              real subjects of ../shared/data and synthetic windows), the held-out volume and
#              its robustness variants labelled on the GPU and scored in mm
#              (tools/accuracy_report.py --parts loso)
# Environment: DEVICE (default cuda), PYTHON (default python3), QUICK=1 for a short dry run of
# the script itself (1 epoch, few steps; e.g. on a CPU with DEVICE=cpu).
set -u
OUT_DIR=${1:-runs/gpu_check}
DEVICE=${DEVICE:-cuda}
PY=${PYTHON:-python3}
QUICK=${QUICK:-0}
REPORT_DIR=${REPORT_DIR:-$OUT_DIR/report}
mkdir -p "$OUT_DIR"
export PYTHONPATH="src:tools${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
SUMMARY="$OUT_DIR/summary.txt"
: > "$SUMMARY"

stage() {  # stage NAME SECONDS COMMAND...: run with a time limit, log, and note the outcome
    local name=$1 limit=$2 tic rc
    shift 2
    echo "=== $name (limit ${limit} s): $*"
    tic=$(date +%s)
    timeout "$limit" "$@" > "$OUT_DIR/$name.log" 2>&1
    rc=$?
    tail -n 25 "$OUT_DIR/$name.log"
    echo "$name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $(( $(date +%s) - tic )) s" >> "$SUMMARY"
}

if [ "$QUICK" = 1 ]; then
    BENCH_ARGS=(--steps 2); LOSO_ARGS=(--loso-epochs 1 --workers 0)
else
    BENCH_ARGS=(--steps 20); LOSO_ARGS=(--loso-epochs 30 --workers 12)
fi
began=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT_DIR/gpu.txt" 2>&1 \
    || echo "no nvidia-smi" > "$OUT_DIR/gpu.txt"
stage precision 120 "$PY" tools/gpu_check.py --device "$DEVICE"
stage bench 200 "$PY" tools/benchmark.py --device "$DEVICE" --json "$OUT_DIR/bench.json" "${BENCH_ARGS[@]}"
stage training 300 "$PY" tools/accuracy_report.py --parts loso --device "$DEVICE" --parallel 1 \
    --loso-subjects sub-errsm20 --work "$REPORT_DIR" "${LOSO_ARGS[@]}"

echo
echo "=================== GPU check summary ($(( $(date +%s) - began )) s) ==================="
echo "GPU: $(cat "$OUT_DIR/gpu.txt")"
cat "$SUMMARY"
grep -E "ok|FAILED|same|DIFFERENT" "$OUT_DIR/precision.log" | sed 's/^/  /'
sed -n '/^model/,/^benchmark took/p' "$OUT_DIR/bench.log" | sed 's/^/  /'
[ -f "$REPORT_DIR/loso.md" ] && grep -E "all held-out|four full|Training time" "$REPORT_DIR/loso.md" | sed 's/^/  /'
! grep -q FAILED "$SUMMARY"
