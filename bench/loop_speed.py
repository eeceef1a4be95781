"""The training loop against the training step alone, side by side in one process.

The step alone is `fit_step` on one batch, over and over (what the CPU recipes' budgets are measured in); the loop
is `fit` as `ddpm_nb train` runs it: batches drawn from the data set, the generators reseeded every step, a run
directory with its checkpoints and logs, and progress reports. Windows of each alternate, so that whatever else the
machine does falls on both alike; each rate is the median over its windows, and the loop's counts everything `fit`
does between its first and last step (its log points, and a checkpoint with its loss plot at the end of each
window). The two are two processes of the same recipe, so that the loop resumes its own run at every window. Writes one JSON file, updated per data set.

    python bench/loop_speed.py --data fashion-mnist --recipe mnist-cpu --out bench/results/loop_speed.json
    python bench/loop_speed.py --data cifar10 --data-root ../shared/data --recipe cifar-cpu \\
        --out bench/results/loop_speed.json
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path
import torch
from ddpm_nb.devices import device_name
from ddpm_nb.files import atomic_path
from ddpm_nb.data import load_images, ImageBatches
from ddpm_nb.recipes import as_recipe
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.trainer import fit

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', required=True, help='fashion-mnist or cifar10')
    p.add_argument('--data-root', default=None, help='where the data set lives (default: data/)')
    p.add_argument('--recipe', required=True, help='the recipe to train')
    p.add_argument('--steps', type=int, default=150, help='steps per window (default: 150)')
    p.add_argument('--windows', type=int, default=4, help='windows of each kind (default: 4)')
    p.add_argument('--out', default='bench/results/loop_speed.json')
    a = p.parse_args()
    data, recipe = load_images(a.data, a.data_root), as_recipe(a.recipe)
    C, S = data.images.shape[1:3]
    alone, looped = (DiffusionProcess.from_recipe(recipe, S, C, device='cpu') for _ in range(2))   # the same recipe
    bs = recipe.batch_size
    batches = ImageBatches(data, bs, 'cpu', flip=recipe.flip, seed=0)
    x0 = batches.batch(0)
    run = Path(tempfile.mkdtemp()) / 'run'
    for _ in range(3): alone.fit_step(x0)                                     # warm-up
    fit(looped, batches, 3, out=run, progress=False)
    step_rates, loop_rates = [], []
    for w in range(a.windows):
        t0 = time.perf_counter()
        for _ in range(a.steps): alone.fit_step(x0)
        step_rates.append(a.steps * bs / (time.perf_counter() - t0))
        start = looped.step
        t0 = time.perf_counter()
        fit(looped, batches, start + a.steps, out=run, resume=True, log_every=50, ckpt_every=1000, progress=True)
        loop_rates.append((looped.step - start) * bs / (time.perf_counter() - t0))
        print(f"window {w}: step {step_rates[-1]:.1f} img/s, loop {loop_rates[-1]:.1f} img/s", flush=True)
    step, loop = statistics.median(step_rates), statistics.median(loop_rates)
    out = Path(a.out)
    rec = json.loads(out.read_text()) if out.exists() else {}
    rec.setdefault('runs', {})[a.data] = dict(
        recipe=a.recipe, batch_size=bs, steps_per_window=a.steps, step_img_s=step, loop_img_s=loop,
        ratio=loop / step, step_windows=step_rates, loop_windows=loop_rates, device=device_name('cpu'),
        date=time.strftime('%Y-%m-%d'), torch=torch.__version__,
        command='python bench/loop_speed.py ' + ' '.join(sys.argv[1:]))
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(rec, indent=1))
    print(f"{a.data}: the loop runs {loop:.1f} img/s, the step alone {step:.1f}: {loop / step:.1%}")

if __name__ == '__main__': main()
