"""What each choice of the CPU recipe buys on Fashion-MNIST, at a fixed budget of CPU time.

Each row changes one thing of the row it builds on, starting from the design's MNIST recipe in fp32. A row's budget
is the same number of minutes of training on this machine: its throughput (img/s of the full training step) is
measured first, on its own (rows with the same network, precision and batch size share one measurement: what else
differs costs under 1% of a step), and the row then trains for the steps that throughput reaches in the budget, so
the result does not depend on what else the machine did meanwhile. Each trained model draws 2,000 DPM-Solver++(2M)-20
samples, scored with the offline classifier's features against the 10,000 test images (FID, KID), and the fraction
of their pixels at exactly 255 is set beside the data's own. Writes one JSON file (rewritten after every row), which
chapter 15 shows, with 8 samples of each row (uint8, base64); a stopped run continues where it stopped.

    python bench/cpu_recipe.py --classifier ddpm_nb/weights/fashion-mnist-classifier.pt --minutes 5 \\
        --out bench/results/cpu_recipe.json
"""
import argparse, base64, json, platform, sys, time
from pathlib import Path
import torch
from ddpm_nb.files import atomic_path
from ddpm_nb.data import load_images, ImageBatches, to_uint8, save_image_grid
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.trainer import fit
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid
from ddpm_nb.speed import median_time

# (name, what changes, arguments of the mnist recipe, batch size, builds on)
DESIGN = dict(precision='fp32')
ROWS = [
    ('design', "the design's MNIST recipe, fp32", DESIGN, 64, None),
    ('bf16', "bf16 autocast", dict(precision='bf16'), 64, 'design'),
    ('ema', "EMA 0.999 with warm-up", dict(ema_decay=0.999, ema_warmup=True), 64, 'bf16'),
    ('lr', "AdamW at 1e-3 with 200 warm-up steps, gradients clipped at 1", dict(
        optimizer='adamw', lr=1e-3, warmup_steps=200, grad_clip=1.0), 64, 'ema'),
    ('lr-2e-3', "AdamW at 2e-3 instead", dict(lr=2e-3), 64, 'lr'),
    ('v', "predicts v instead of the noise", dict(prediction='v'), 64, 'lr'),
    ('x0', "predicts x0 instead of the noise", dict(prediction='x0'), 64, 'lr'),
    ('min-snr', "min-SNR-5 loss weights", dict(min_snr_gamma=5.0), 64, 'v'),
    ('batch-128', "batches of 128", {}, 128, 'min-snr'),
    ('decay', "learning rate decayed to 0 at the end of the budget", dict(decay_steps='budget'), 64, 'min-snr'),
    ('narrow', "a narrower U-Net, [16, 32, 64]: a quarter of the FLOPs", dict(hidden_dims=[16, 32, 64]), 64, 'min-snr'),
    ('wide', "a wider U-Net, [48, 96, 192]", dict(hidden_dims=[48, 96, 192]), 64, 'min-snr'),
]

def row_args(name)->tuple:
    "The recipe changes and the batch size of row `name`, following what it builds on."
    rows = {r[0]: r for r in ROWS}
    _, _, args, bs, base = rows[name]
    if base is None: return dict(args), bs
    prev, _ = row_args(base)
    return {**prev, **args}, bs

def make(args, budget_steps=None, device='cpu'):
    a = dict(args)
    if a.get('decay_steps') == 'budget': a['decay_steps'] = budget_steps
    return DiffusionProcess.from_recipe('mnist', 28, 1, device=device, **a)

def speed_key(args, bs)->str:
    "What the speed of a row depends on: the network, the precision and the batch size."
    net = ''.join(f", {k} {args[k]}" for k in ('hidden_dims', 'layers_per_block') if k in args)
    return f"{args.get('precision', 'auto')}, batch {bs}{net}"

def throughput(args, bs)->float:
    "Images per second of the full training step (warm-up excluded, median of timed windows)."
    p = make({k: v for k, v in args.items() if k != 'decay_steps'})   # the row's process, as it trains
    x0 = torch.rand(bs, 1, 28, 28) * 2 - 1
    return bs / median_time(lambda: p.fit_step(x0), 'cpu', warmup=3, windows=5, calls=6)

def saturated(x:torch.Tensor)->float:
    "Fraction of pixels at exactly 255."
    return (to_uint8(x) == 255).float().mean().item()

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--classifier', required=True, help='the classifier file of the offline metric')
    p.add_argument('--minutes', type=float, default=5.0, help='training budget of every row (default: 5)')
    p.add_argument('--n', type=int, default=2000, help='samples per row (default: 2000)')
    p.add_argument('--rows', default=','.join(r[0] for r in ROWS), help='rows to run (default: all)')
    p.add_argument('--runs', default='runs/cpu_recipe', help='where the rows train (default: runs/cpu_recipe)')
    p.add_argument('--out', default='bench/results/cpu_recipe.json')
    a = p.parse_args()
    out = Path(a.out)
    rec = json.loads(out.read_text()) if out.exists() else {}
    if rec.get('minutes') not in (None, a.minutes): sys.exit(f"{out} holds rows of {rec['minutes']} minutes; use another --out")
    names = [n.strip() for n in a.rows.split(',') if n.strip()]
    unknown = sorted(set(names) - {r[0] for r in ROWS})
    if unknown: sys.exit(f"unknown rows {unknown}; the rows are {[r[0] for r in ROWS]}")
    data = load_images('fashion-mnist')
    feats = ClassifierFeatures(a.classifier, 'cpu')
    ref = fid_stats('fashion-mnist-test', feats)
    rec.update(device=f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
               date=time.strftime('%Y-%m-%d'), torch=torch.__version__, minutes=a.minutes, n=a.n, features=feats.name, ref='fashion-mnist-test',
               data_saturated=(data.images == 255).float().mean().item(),
               commands=list(dict.fromkeys([*rec.get('commands', []), *([rec['command']] if 'command' in rec else []),
                                            'python bench/cpu_recipe.py ' + ' '.join(sys.argv[1:])])))
    rec.pop('command', None)
    rows = {r['name']: r for r in rec.get('rows', [])}
    speeds = rec.setdefault('img_s', {})
    for name in names:                                   # every throughput first, while nothing else runs
        args, bs = row_args(name)
        key = speed_key(args, bs)
        if key not in speeds: speeds[key] = throughput(args, bs); print(f"{name}: {speeds[key]:.0f} img/s", flush=True)
    write(out, rec, rows)
    for name in names:
        if name in rows and rows[name].get('fid') is not None: continue
        args, bs = row_args(name)
        img_s = speeds[speed_key(args, bs)]
        steps = max(1, round(a.minutes * 60 * img_s / bs))
        process = make(args, steps)
        t0 = time.time()
        hist = fit(process, ImageBatches(data, bs, 'cpu', seed=0), steps, out=Path(a.runs) / name, resume=True,
                   ckpt_every=500, keep_last=1, log_every=50, progress=False)
        train_s = time.time() - t0
        t0 = time.time()
        x = process.sample(a.n, 'dpm', steps=20, seed=0)
        sample_s = time.time() - t0
        s = compute_fid(x, ref, feats, isc=False)
        save_image_grid(x[:16], Path(a.runs) / f'{name}.png', nrow=16)
        row = dict(name=name, change=next(r[1] for r in ROWS if r[0] == name), builds_on=next(r[4] for r in ROWS
                   if r[0] == name), args={k: v for k, v in args.items()}, batch_size=bs, img_s=img_s, steps=steps,
                   train_seconds=train_s, loss=hist[-1]['loss'] if hist else None, sampler='dpm', sampler_steps=20,
                   sample_seconds=sample_s, fid=s['fid'], kid=s['kid'], kid_std=s['kid_std'], saturated=saturated(x),
                   samples=base64.b64encode(to_uint8(x[:8]).numpy().tobytes()).decode(), date=time.strftime('%Y-%m-%d'))
        rows[name] = row
        print(json.dumps({k: v for k, v in row.items() if k != 'samples'}), flush=True)
        write(out, rec, rows)
    print(f"written to {out}")

def write(out, rec, rows):
    rec['rows'] = [rows[r[0]] for r in ROWS if r[0] in rows]
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp: Path(tmp).write_text(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
