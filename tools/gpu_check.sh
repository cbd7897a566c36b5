#!/usr/bin/env bash
# Everything that needs a GPU, in one command, in under 8 minutes on one H100 or H200; prints one
# summary at the end. Run it from the repository root as it is:
#
#     bash tools/gpu_check.sh [OUTDIR]          (default OUTDIR: runs/gpu_check)
#
# Stages, in this order, each with its own time limit and log in OUTDIR, all within one overall
# deadline (TOTAL seconds, default 470; a stage gets what is left of it when less):
#   cuda-tests      the CUDA tests of the training step (tests/training/test_fastpath.py: the step replayed
#                   as a CUDA graph matches eager steps, a new learning rate is captured again)
#   bench           the benchmark (tools/benchmark.py): training images/s and peak memory, fast
#                   path (with and without CUDA graphs; with COMPILE=1 also with torch.compile
#                   in the graph) vs the fp32 eager baseline, inference ms per slice, label.py
#                   s/volume
#   default-recipe  main.py's defaults (2 stacks of 256 features, 120 epochs) on 500 windows per
#                   epoch, batch 16, timed end to end (tools/default_recipe.py)
#   precision       a forward/backward in fp32, bf16 and fp16 (+ gradient scaler), and label.py's
#                   pipeline on the GPU against the CPU (tools/gpu_check.py)
#   training        a real training run with its accuracy: the leave-one-subject-out fold of the
#                   shipped recipe with the fast path (bf16, CUDA graphs) that holds sub-errsm20
#                   out, trained on the other real subjects of ../shared/data and synthetic
#                   windows; the held-out volume and its robustness variants labelled on the GPU
#                   and scored in mm (tools/accuracy_report.py --parts loso)
# Environment: DEVICE (default cuda), PYTHON (default python3), TOTAL, WORKERS (loader workers,
# default auto, main.py's default), STAGES (the stages to run, default all five, e.g. STAGES="bench training"),
# LOSO_EPOCHS (the training stage's epochs, schedule scaled; default the recipe's), COMPILE=1
# (the benchmark's torch.compile rows: about 3 more minutes, so TOTAL=720), QUICK=1 for
# a short dry run of the script itself (1 epoch, few steps; e.g. on a CPU with DEVICE=cpu).
set -u
OUT_DIR=${1:-runs/gpu_check}
DEVICE=${DEVICE:-cuda}
PY=${PYTHON:-python3}
QUICK=${QUICK:-0}
TOTAL=${TOTAL:-470}
WORKERS=${WORKERS:-auto}
STAGES=${STAGES:-cuda-tests bench default-recipe precision training}
REPORT_DIR=${REPORT_DIR:-$OUT_DIR/report}
mkdir -p "$OUT_DIR"
export PYTHONPATH="src:tools${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
SUMMARY="$OUT_DIR/summary.txt"
: > "$SUMMARY"
began=$(date +%s)

stage() {  # stage NAME SECONDS COMMAND...: run with a time limit, log, and note the outcome
    local name=$1 limit=$2 tic rc left
    shift 2
    case " $STAGES " in *" $name "*) ;; *) echo "$name: not asked for (STAGES)" >> "$SUMMARY"; return ;; esac
    left=$(( began + TOTAL - $(date +%s) ))
    [ "$left" -lt "$limit" ] && limit=$left
    if [ "$limit" -lt 20 ]; then
        echo "$name: SKIPPED (the overall deadline of $TOTAL s is near)" >> "$SUMMARY"
        return
    fi
    echo "=== $name (limit ${limit} s): $*"
    tic=$(date +%s)
    timeout "$limit" "$@" > "$OUT_DIR/$name.log" 2>&1
    rc=$?
    tail -n 25 "$OUT_DIR/$name.log"
    echo "$name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $(( $(date +%s) - tic )) s" >> "$SUMMARY"
}

if [ "$QUICK" = 1 ]; then
    BENCH_ARGS=(--steps 2); RECIPE_ARGS=(--epochs 1); LOSO_ARGS=(--loso-epochs 1)
else
    BENCH_ARGS=(); RECIPE_ARGS=(--limit-seconds 200); LOSO_ARGS=()
    [ -n "${LOSO_EPOCHS:-}" ] && LOSO_ARGS=(--loso-epochs "$LOSO_EPOCHS")
fi
BENCH_LIMIT=360
[ "${COMPILE:-0}" = 1 ] && BENCH_ARGS+=(--compile) && BENCH_LIMIT=560
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT_DIR/gpu.txt" 2>&1 \
    || echo "no nvidia-smi" > "$OUT_DIR/gpu.txt"
stage cuda-tests 150 "$PY" -m pytest -q -p no:cacheprovider tests/training/test_fastpath.py
stage bench "$BENCH_LIMIT" "$PY" tools/benchmark.py --device "$DEVICE" --json "$OUT_DIR/bench.json" "${BENCH_ARGS[@]}"
stage default-recipe 240 "$PY" tools/default_recipe.py --work "$OUT_DIR/default_recipe" \
    --device "$DEVICE" --workers "$WORKERS" "${RECIPE_ARGS[@]}"
stage precision 60 "$PY" tools/gpu_check.py --device "$DEVICE"
stage training 600 "$PY" tools/accuracy_report.py --parts loso \
    --device "$DEVICE" --parallel 1 --loso-subjects sub-errsm20 --work "$REPORT_DIR" \
    --workers "$WORKERS" "${LOSO_ARGS[@]}"

echo
echo "=================== GPU check summary ($(( $(date +%s) - began )) s) ==================="
echo "GPU: $(cat "$OUT_DIR/gpu.txt")"
cat "$SUMMARY"
grep -E "passed|failed|skipped" "$OUT_DIR/cuda-tests.log" 2>/dev/null | tail -n 1 | sed 's/^/  /'
sed -n '/^model/,/^benchmark took/p' "$OUT_DIR/bench.log" 2>/dev/null | sed 's/^/  /'
grep -E "^default recipe|CUDA graphs" "$OUT_DIR/default-recipe.log" 2>/dev/null | sed 's/^/  /'
grep -E "ok|FAILED|same|DIFFERENT" "$OUT_DIR/precision.log" 2>/dev/null | sed 's/^/  /'
if [ -f "$REPORT_DIR/loso.md" ]; then
    grep -E "sub-errsm20|all held-out|Training time" "$REPORT_DIR/loso.md" | sed 's/^/  /'
else  # a training cut short by the deadline: how far it got
    tail -n 2 "$REPORT_DIR"/loso/*/run/train.log 2>/dev/null | sed 's/^/  /'
fi
! grep -q -E "FAILED|SKIPPED" "$SUMMARY"
