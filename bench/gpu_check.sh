#!/usr/bin/env bash
# Issue 15's GPU check, one short run (under 8 minutes, so a rerun still fits a 15-minute lease).
#
#   bash bench/gpu_check.sh            # from the repository root, on a machine with one CUDA GPU
#
# Installs nothing: it needs the python (PYTHON, default python3) that already has torch, transformers
# and numpy; fc_backend comes from this checkout. Where a small pure-Python module is missing, set
# WHEELS to a folder of wheels carried along and they are installed from it (--no-index, --no-deps).
# Everything it prints also goes to one folder: $OUT if set, else /tmp/fc_gpu_check.
#   1. the CPU tests' equivalence checks under CUDA graphs (tiny model, fp32)      ~1 min
#   2. bench_musicgen --full: the fast path (CUDA graphs) in fp16 for 1, 4 and 8 cues of 30 s, today's
#      generate() for 30 s (~90 s), then the fast path in bf16                       ~4-5 min
#   3. what is left of the budget: the torch.compile(mode="reduce-overhead") step, 1 cue of 10 s
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
DIR=${OUT:-/tmp/fc_gpu_check}
mkdir -p "$DIR"
LOG="$DIR/gpu_check.log"
BUDGET=${BUDGET_S:-450}  # seconds for the whole script
START=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - START))); }
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false

{
  echo "== gpu_check $(date -u +%FT%TZ) on $(hostname), commit $(git rev-parse --short HEAD 2>/dev/null)"
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv 2>&1
  if [ -n "${WHEELS:-}" ]; then
    "$PY" -m pip install --no-index --no-deps --find-links "$WHEELS" "$WHEELS"/*.whl 2>&1 | tail -2
  fi
  "$PY" -c "import torch, transformers, numpy; print('torch', torch.__version__, 'transformers',
transformers.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())" 2>&1
  "$PY" -c "import fc_backend.compose.musicgen.fast" 2>&1 || {
    echo "gpu_check: the fast path does not import here (see above): carry the missing wheel in WHEELS"
    exit 3
  }

  echo "== 1. equivalence under CUDA graphs (left: $(left) s)"
  timeout 90 "$PY" bench/gpu_equivalence.py 2>&1
  echo "exit $?"

  echo "== 2. bench: today's path and the fast path, full 1.5 B architecture (left: $(left) s)"
  timeout $(($(left) - 100)) "$PY" bench/bench_musicgen.py --full --seconds 30 --cues 1,4,8 --repeat 1 \
    --dtypes float16,bfloat16 --modes graph 2>&1
  echo "exit $?"

  T=$(($(left) - 10))
  if [ "$T" -gt 60 ]; then
    echo "== 3. torch.compile reduce-overhead step, 1 cue of 10 s, ${T} s at most"
    timeout "$T" "$PY" bench/bench_musicgen.py --full --seconds 10 --cues 1 --repeat 1 --no-reference \
      --modes compile 2>&1
    echo "exit $?"
  else
    echo "== 3. skipped: ${T} s left for torch.compile"
  fi
  echo "== done in $(($(date +%s) - START)) s"
} 2>&1 | tee "$LOG"
