#!/usr/bin/env bash
# A short GPU session, in one or more stages:
#   bench/gpu_session.sh smoke     the CUDA paths (bench/gpu_smoke.py) and the GPU cells at toy sizes (about 5 min)
#   bench/gpu_session.sh checks    the CUDA paths without the compiled one (under a minute)
#   bench/gpu_session.sh measure   the speed table at the small tier, then the benchmark pair at equal steps
# Needs the package's dependencies (or wheels of them in .whl/) and, for `measure`, CIFAR-10 as the JPEG archives
# in data/. Records go to bench/results/; the records, logs and sample grids are also packed, as they land, into one
# archive, $OUT/session.tar.
# BENCH_STEPS (default 3000) and BENCH_SECONDS (default 100) bound the benchmark pair's training, BENCH_SAMPLES
# (default 10000) is the score's sample count. Scores use the shipped CIFAR-10 classifier's features.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bench/gpu_session.sh smoke|checks|measure ..."; exit 2; }
OUT=${OUT:-/tmp/gpu_session}; LOGS=/tmp/gpu_session_files; mkdir -p "$OUT" "$LOGS" runs/classifiers
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH
if [ -d .whl ] && [ ! -d /tmp/site/nbdev ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
fi
if ! command -v ddpm_nb >/dev/null; then            # the package is on PYTHONPATH, not installed: its script by hand
  mkdir -p /tmp/site/bin; printf '#!/bin/sh\nexec python3 -m ddpm_nb.cli "$@"\n' > /tmp/site/bin/ddpm_nb
  chmod +x /tmp/site/bin/ddpm_nb
fi
keep() {                                           # copy files into the archive's folder and pack it again
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$LOGS/"; done
  tar -cf "$OUT/session.tar.part" -C "$LOGS" . && mv "$OUT/session.tar.part" "$OUT/session.tar"
}
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')"

for stage in "$@"; do
if [ "$stage" = checks ]; then
  timeout 120 python3 bench/gpu_smoke.py --skip compile --out bench/results/gpu_checks.json 2>&1 | tee "$LOGS/checks.log"
  keep bench/results/gpu_checks.json
elif [ "$stage" = smoke ]; then
  timeout 170 python3 bench/gpu_smoke.py --out bench/results/gpu_smoke.json 2>&1 | tee "$LOGS/smoke.log"
  keep bench/results/gpu_smoke.json
  DDPM_NB_TOY=1 OMP_NUM_THREADS=2 timeout 200 nbdev_test --n_workers 6 --flags "gpu slow" \
    --file_re '(11|13|14|15|16|19|20|21)_.*' 2>&1 | tee "$LOGS/notebooks.log"
  echo "notebooks rc ${PIPESTATUS[0]}" | tee -a "$LOGS/notebooks.log"; keep
elif [ "$stage" = measure ]; then
  timeout ${SPEED_SECONDS:-240} ddpm_nb speed --tier small --compile-modes ${SPEED_MODES:-eager,default} \
    --out bench/results 2>&1 | tee "$LOGS/speed.log"
  keep bench/results/speed_small.json
  train=${CIFAR_TRAIN:-data/cifar10-jpeg-train.tar.gz}
  clf=cifar10                                       # the shipped classifier
  stats=runs/classifiers/cifar10-train-stats.npz
  steps=${BENCH_STEPS:-3000}
  for arch in standard ours no-attn; do
    args() { bench=(ddpm_nb bench --arch $arch --tier small --steps $steps --n-samples ${BENCH_SAMPLES:-10000}
                    --features classifier --classifier $clf --dataset $train --stats-cache $stats --quiet); }
    field() { python3 -c "import json; print(json.load(open('runs/bench/$arch-small/result.json'))['$1'])" 2>/dev/null; }
    args; timeout $(( ${BENCH_SECONDS:-100} + 60 )) "${bench[@]}" --time-limit ${BENCH_SECONDS:-100} \
      > "$LOGS/bench_$arch.log" 2>&1
    got=$(field steps)
    if [ -n "$got" ] && [ "$got" -lt "$steps" ]; then steps=$got; fi   # the first run sets the pair's step count
    args; [ "$(field done)" = True ] || timeout 90 "${bench[@]}" >> "$LOGS/bench_$arch.log" 2>&1   # finish, score
    cp runs/bench/$arch-small/result.json bench/results/bench_small_$arch.json 2>/dev/null
    cp runs/bench/$arch-small/step_*.png "$LOGS/bench_small_$arch.png" 2>/dev/null
    keep bench/results/bench_small_$arch.json; tail -25 "$LOGS/bench_$arch.log"
  done
fi
done
