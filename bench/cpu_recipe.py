"""What each choice of a CPU recipe buys, at a fixed budget of CPU time, on Fashion-MNIST or CIFAR-10.

Each row changes one thing of the row it builds on, starting from the design's recipe in fp32. A row's budget is the
same number of minutes of training on this machine: its throughput (img/s of the full training step) is measured
first, on its own (rows with the same network, precision and batch size share one measurement: what else differs
costs under 1% of a step), and the row then trains for the steps that throughput reaches in the budget, so the result
does not depend on what else the machine did meanwhile (rows may then train side by side, one thread each, in
processes that share the results file). Each trained model draws 2,000 DPM-Solver++(2M)-20 samples
(from the same starting noise in every row), scored with the offline classifier's features against the 10,000 test
images (FID, KID); the fraction of their pixels at exactly 255 is set beside the data's own, and the classes the
classifier gives them are counted. Writes one JSON file (rewritten after every row), which a chapter shows, with 8
samples of each row (uint8, base64); a stopped run continues where it stopped.

    python bench/cpu_recipe.py --classifier ddpm_nb/weights/fashion-mnist-classifier.pt --minutes 5 \\
        --out bench/results/cpu_recipe.json
    python bench/cpu_recipe.py --data cifar10 --data-root ../shared/data --classifier cifar10 --minutes 10 \\
        --sample-precision auto --runs runs/cifar_recipe --out bench/results/cifar_cpu_recipe.json --measure-only
    python bench/cpu_recipe.py ... --threads 1 --rows half,attn-8 &   # then the rows, two processes at a time
    python bench/cpu_recipe.py ... --threads 1 --rows quarter,design
"""
import argparse, contextlib, fcntl, json, sys, time
from pathlib import Path
import torch
from ddpm_nb.files import atomic_path
from ddpm_nb.devices import device_name
from ddpm_nb.data import load_images, ImageBatches, to_uint8, to_base64, save_image_grid
from ddpm_nb.training import DiffusionProcess, RECIPES
from ddpm_nb.trainer import fit
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid

# (name, what changes, arguments of the data set's design recipe, batch size, builds on)
FMNIST_ROWS = [
    ('design', "the design's MNIST recipe, fp32", dict(precision='fp32'), 64, None),
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

HALF, QUARTER = [64, 128, 128, 128], [32, 64, 64, 64]   # the design's CIFAR-10 U-Net at half and a quarter width
CIFAR_ROWS = [
    ('design', "the design's CIFAR-10 recipe, fp32", dict(precision='fp32'), 128, None),
    ('bf16', "bf16 autocast", dict(precision='bf16'), 128, 'design'),
    ('cpu', "mnist-cpu's training: v-prediction, min-SNR-5, AdamW 1e-3 with 200 warm-up steps, EMA with warm-up, "
     "batches of 64", dict(prediction='v', min_snr_gamma=5.0, lr=1e-3, warmup_steps=200, ema_warmup=True), 64, 'bf16'),
    ('half', f"the design's U-Net at half width, {HALF}", dict(hidden_dims=HALF), 64, 'cpu'),
    ('quarter', f"the design's U-Net at a quarter of its width, {QUARTER}", dict(hidden_dims=QUARTER), 64, 'cpu'),
    ('attn-8', "attention at 8x8 instead of 16x16", dict(attention_levels=[2]), 64, 'half'),
    ('attn-none', "attention only in the bottleneck (4x4)", dict(attention_levels=[]), 64, 'half'),
    ('no-dropout', "no dropout", dict(dropout_p=0.0, bottleneck_dropout_p=0.0), 64, 'half'),
    ('two-res', "two ResBlocks per level", dict(layers_per_block=2), 64, 'half'),
    ('ema-0.9999', "EMA decay 0.9999", dict(ema_decay=0.9999), 64, 'half'),
    ('lr-2e-3', "AdamW at 2e-3", dict(lr=2e-3), 64, 'half'),
    ('batch-128', "batches of 128", {}, 128, 'half'),
    ('cosine', "the cosine schedule", dict(schedule='cosine'), 64, 'half'),
]

# what each data set trains and is scored on
DATA = {'fashion-mnist': dict(recipe='mnist', rows=FMNIST_ROWS, flip=False),
        'cifar10': dict(recipe='cifar', rows=CIFAR_ROWS, flip=True)}

def row_args(rows, name)->tuple:
    "The recipe changes and the batch size of row `name`, following what it builds on."
    by_name = {r[0]: r for r in rows}
    _, _, args, bs, base = by_name[name]
    if base is None: return dict(args), bs
    prev, _ = row_args(rows, base)
    return {**prev, **args}, bs

def make(recipe, shape, args, budget_steps=None, device='cpu'):
    "The process of a row: the recipe with the row's changes (a decay that ends with the budget, when asked)."
    a = dict(args)
    if a.get('decay_steps') == 'budget': a['decay_steps'] = budget_steps
    C, S, _ = shape
    return DiffusionProcess.from_recipe(recipe, S, C, device=device, **a)

def speed_key(args, bs)->str:
    "What the speed of a row depends on: the network, the precision and the batch size."
    net = ''.join(f", {k} {args[k]}" for k in ('hidden_dims', 'layers_per_block', 'attention_levels') if k in args)
    return f"{args.get('precision', 'auto')}, batch {bs}{net}"

def throughput(recipe, shape, args, bs, window:float=5.)->float:
    "Images per second of the full training step: the median of five windows of about `window` seconds each."
    p = make(recipe, shape, {k: v for k, v in args.items() if k != 'decay_steps'})   # the row's process, as it trains
    x0 = torch.rand(bs, *shape) * 2 - 1
    for _ in range(2): p.fit_step(x0)                                                  # warm-up
    t0 = time.perf_counter(); p.fit_step(x0); calls = max(1, round(window / (time.perf_counter() - t0)))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls): p.fit_step(x0)
        times.append((time.perf_counter() - t0) / calls)
    return bs / sorted(times)[2]

def saturated(x:torch.Tensor)->float:
    "Fraction of pixels at exactly 255."
    return (to_uint8(x) == 255).float().mean().item()

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', choices=list(DATA), default='fashion-mnist', help='the data set (default: fashion-mnist)')
    p.add_argument('--data-root', default=None, help='where the data set lives (default: data/)')
    p.add_argument('--classifier', required=True, help='the classifier of the offline metric: a file or a shipped name')
    p.add_argument('--minutes', type=float, default=5.0, help='training budget of every row (default: 5)')
    p.add_argument('--n', type=int, default=2000, help='samples per row (default: 2000)')
    p.add_argument('--sample-precision', choices=['trained', 'auto'], default='trained',
                   help="sample in each row's own precision, or every row in bf16 where native (default: trained)")
    p.add_argument('--rows', default=None, help='rows to run (default: all)')
    p.add_argument('--runs', default='runs/cpu_recipe', help='where the rows train (default: runs/cpu_recipe)')
    p.add_argument('--out', default='bench/results/cpu_recipe.json')
    p.add_argument('--measure-only', action='store_true', help='measure the throughputs, train nothing')
    p.add_argument('--threads', type=int, default=None, help='torch threads for training and sampling (default: all); '
                   'throughputs are always measured with all of them, alone')
    a = p.parse_args()
    spec, out = DATA[a.data], Path(a.out)
    rows_spec = spec['rows']
    rec = read(out)
    if rec.get('minutes') not in (None, a.minutes): sys.exit(f"{out} holds rows of {rec['minutes']} minutes; use another --out")
    names = [n.strip() for n in (a.rows or ','.join(r[0] for r in rows_spec)).split(',') if n.strip()]
    unknown = sorted(set(names) - {r[0] for r in rows_spec})
    if unknown: sys.exit(f"unknown rows {unknown}; the rows are {[r[0] for r in rows_spec]}")
    data = load_images(a.data, a.data_root)
    shape = tuple(data.images.shape[1:])
    feats = ClassifierFeatures(a.classifier, 'cpu')
    ref = fid_stats(load_images(a.data, a.data_root, train=False), feats)
    rec.update(device=device_name('cpu'), date=time.strftime('%Y-%m-%d'), torch=torch.__version__, data=a.data,
               recipe=spec['recipe'], minutes=a.minutes, n=a.n, features=feats.name, ref=f'{a.data}-test',
               classes=feats.clf.classes, sample_shape=list(shape), sample_precision=a.sample_precision,
               data_saturated=(data.images == 255).float().mean().item(),
               commands=list(dict.fromkeys([*rec.get('commands', []), *([rec['command']] if 'command' in rec else []),
                                            'python bench/cpu_recipe.py ' + ' '.join(sys.argv[1:])])))
    rec.pop('command', None)
    rows = {r['name']: r for r in rec.get('rows', [])}
    speeds = rec.setdefault('img_s', {})
    for name in names:                                   # every throughput first, while nothing else runs
        if name in rows and rows[name].get('fid') is not None: continue
        args, bs = row_args(rows_spec, name)
        key = speed_key(args, bs)
        if key not in speeds:
            if a.threads: sys.exit(f"{name}: its throughput is not measured yet; run with --measure-only first, alone")
            speeds[key] = throughput(spec['recipe'], shape, args, bs)
            print(f"{name}: {speeds[key]:.1f} img/s", flush=True)
            write(out, rec, {}, rows_spec)
    if a.measure_only: return
    if a.threads: torch.set_num_threads(a.threads)
    for name in names:
        if name in rows and rows[name].get('fid') is not None: continue
        args, bs = row_args(rows_spec, name)
        img_s = speeds[speed_key(args, bs)]
        steps = max(1, round(a.minutes * 60 * img_s / bs))
        process = make(spec['recipe'], shape, args, steps)
        run = Path(a.runs) / name
        t0 = time.time()
        hist = fit(process, ImageBatches(data, bs, 'cpu', flip=spec['flip'], seed=0), steps, out=run, resume=True,
                   ckpt_every=500, keep_last=1, log_every=50, progress=False)
        train_s = time.time() - t0
        if a.sample_precision == 'auto': process = DiffusionProcess.from_checkpoint(run, device='cpu', precision='auto')
        t0 = time.time()
        x = process.sample(a.n, 'dpm', steps=20, seed=0)
        sample_s = time.time() - t0
        s = compute_fid(x, ref, feats, isc=False)
        counts = torch.bincount(torch.from_numpy(feats.probs(to_uint8(x))).argmax(1), minlength=len(feats.clf.classes))
        save_image_grid(x[:64], Path(a.runs) / f'{name}.png', nrow=8)
        row = dict(name=name, change=next(r[1] for r in rows_spec if r[0] == name), builds_on=next(
                   r[4] for r in rows_spec if r[0] == name), args={k: v for k, v in args.items()}, batch_size=bs,
                   img_s=img_s, steps=steps, train_seconds=train_s, loss=hist[-1]['loss'] if hist else None,
                   sampler='dpm', sampler_steps=20, sample_precision=process.precision, sample_seconds=sample_s,
                   fid=s['fid'], kid=s['kid'], kid_std=s['kid_std'], saturated=saturated(x),
                   class_counts=counts.tolist(), samples=to_base64(x[:8]),
                   date=time.strftime('%Y-%m-%d'))
        print(json.dumps({k: v for k, v in row.items() if k != 'samples'}), flush=True)
        write(out, rec, {name: row}, rows_spec)
    print(f"written to {out}")

def read(out)->dict:
    return json.loads(out.read_text()) if out.exists() else {}

@contextlib.contextmanager
def locked(out):
    "Hold the results file against the other processes of this script (a lock file beside it, in the runs folder)."
    with open(Path('runs') / f'.{out.name}.lock', 'a+') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield

def write(out, rec, new_rows, rows_spec):
    "Add `new_rows` and the throughputs to the results file, keeping what other processes wrote meanwhile."
    Path('runs').mkdir(exist_ok=True); out.parent.mkdir(parents=True, exist_ok=True)
    with locked(out):
        cur = read(out)
        rows = {**{r['name']: r for r in cur.get('rows', [])}, **new_rows}
        merged = {**cur, **{k: v for k, v in rec.items() if k != 'rows'},
                  'img_s': {**cur.get('img_s', {}), **rec.get('img_s', {})},
                  'commands': list(dict.fromkeys([*cur.get('commands', []), *rec.get('commands', [])]))}
        merged['rows'] = [rows[r[0]] for r in rows_spec if r[0] in rows]
        with atomic_path(out) as tmp: Path(tmp).write_text(json.dumps(merged, indent=1))

if __name__ == '__main__': main()
