"""Sample quality against cost for a trained model: for each sampler and number of steps, FID and KID on the offline
classifier's features against a reference set, beside the data-versus-data floor, with the model calls, the
precision and the wall time per 1,000 samples. DDPM-1000 is compared with the 20-call samplers at its own (smaller)
sample count, and DPM-Solver++(2M)-20 is scored in bf16 and in fp32. Writes one JSON file (rewritten after every
row, so a stopped run keeps what it measured), which chapter 18 shows.

    python bench/sampler_quality.py fashion-mnist --n 2000 --n-ddpm 1000 --out bench/results/fmnist_samplers.json
"""
import argparse, json, sys, time
from pathlib import Path
import torch
from ddpm_nb.files import atomic_path
from ddpm_nb.devices import device_name
from ddpm_nb.data import to_uint8
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.pretrained import PRETRAINED, load_pretrained
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid, reference_images
from ddpm_nb.generate import generate_samples

# (sampler, steps, options, samples: 'n' or 'n_ddpm', precision: None for the model's own)
ROWS = [('ddpm', None, {}, 'n_ddpm', None), ('dpm', 20, {}, 'n_ddpm', None), ('ddim', 20, {}, 'n_ddpm', None),
        ('ddim', 50, {}, 'n', None), ('ddim', 20, {}, 'n', None), ('ddim', 10, {}, 'n', None),
        ('dpm', 20, {}, 'n', None), ('dpm', 10, {}, 'n', None), ('dpm', 20, {}, 'n', 'fp32'),
        ('dpm', 20, {'clip_x0': False}, 'n', None)]

def row_name(sampler, steps, options, size, precision)->str:
    "A row's name for --rows: sampler-steps, then -unclipped, -fp32, and @ddpm for the DDPM rows' sample count."
    return (f"{sampler}-{steps or 1000}" + ('-unclipped' if options else '') + (f'-{precision}' if precision else '')
            + ('@ddpm' if size == 'n_ddpm' else ''))

def load(model, precision=None):
    changes = {} if precision is None else dict(precision=precision)
    if model in PRETRAINED and not Path(model).exists(): return load_pretrained(model, 'cpu', **changes)
    return DiffusionProcess.from_checkpoint(model, device='cpu', **changes)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('model', help='a checkpoint, a run directory, or a shipped model (fashion-mnist)')
    p.add_argument('--classifier', default='fashion-mnist', help='the offline classifier (default: the shipped one)')
    p.add_argument('--ref', default='fashion-mnist-test'); p.add_argument('--train', default='fashion-mnist-train')
    p.add_argument('--n', type=int, default=2000); p.add_argument('--n-ddpm', type=int, default=1000,
                                                                   help='samples of the DDPM rows (0: none)')
    p.add_argument('--batch-size', type=int, default=500)
    p.add_argument('--rows', default=None, help='the rows to measure, by name, separated by commas (default: all): '
                   + ', '.join(row_name(*r) for r in ROWS))
    p.add_argument('--out', default='bench/results/fmnist_samplers.json')
    a = p.parse_args()
    names = [row_name(*r) for r in ROWS]
    wanted = names if a.rows is None else a.rows.split(',')
    if set(wanted) - set(names): p.error(f"unknown rows {sorted(set(wanted) - set(names))}; the rows are {names}")
    process = load(a.model)
    feats = ClassifierFeatures(a.classifier, process.device)
    ref = fid_stats(a.ref, feats)
    sizes = dict(n=a.n, n_ddpm=a.n_ddpm)
    train = reference_images(a.train)
    floors = {n: compute_fid(train[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:n]],
                             ref, feats, isc=False) for n in sorted(set(sizes.values())) if n}
    rows = []
    for sampler, steps, options, size, precision in ROWS:
        n = sizes[size]
        if not n or row_name(sampler, steps, options, size, precision) not in wanted: continue
        proc = process if precision is None else load(a.model, precision)
        t0 = time.time()
        x = torch.cat(list(generate_samples(proc, n, batch_size=a.batch_size, sampler=sampler, steps=steps, seed=0,
                                            progress=False, **options)))
        seconds = time.time() - t0
        s = compute_fid(x, ref, feats, isc=False)
        rows.append(dict(sampler=sampler, steps=steps, options=options, precision=proc.precision,
                         model_calls=steps or proc.schedule.noise_steps, n=n, fid=s['fid'], kid=s['kid'],
                         kid_std=s['kid_std'], saturated=(x == 255).float().mean().item(),
                         seconds_per_1000=seconds / n * 1000, floor_fid=floors[n]['fid'], floor_kid=floors[n]['kid']))
        print(json.dumps(rows[-1]), flush=True)
        write(a, process, feats, ref, floors, rows)
    print(f"written to {a.out}")

def write(a, process, feats, ref, floors, rows):
    "Write the record so far, atomically."
    rec = dict(device=device_name(process.device), date=time.strftime('%Y-%m-%d'), torch=torch.__version__,
               model=str(a.model), step=process.step, features=feats.name, classifier=str(a.classifier),
               classifier_test_accuracy=feats.clf.meta.get('test_accuracy'), ref=a.ref, ref_n=ref.n,
               floors={str(n): dict(fid=f['fid'], kid=f['kid']) for n, f in floors.items()}, rows=rows,
               command='python bench/sampler_quality.py ' + ' '.join(sys.argv[1:]))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(a.out) as tmp: Path(tmp).write_text(json.dumps(rec, indent=2))

if __name__ == '__main__': main()
