"""Sample quality against cost for a trained model: for each sampler and number of steps, FID and KID on the offline
classifier's features against a reference set, beside the data-versus-data floor, with the model calls and the wall
time per 1,000 samples. Writes one JSON file, which chapter 12 shows.

    python bench/sampler_quality.py runs/fmnist --classifier runs/classifiers/fmnist.pt \\
        --ref fashion-mnist-test --train fashion-mnist-train --n 2000 --n-ddpm 500 --out bench/results/fmnist_samplers.json
"""
import argparse, json, platform, time
from pathlib import Path
import torch
from ddpm_nb.files import atomic_path
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid, generate_samples, reference_images

# (sampler, steps, options, samples: 'n' or 'n_ddpm')
ROWS = [('ddpm', None, {}, 'n_ddpm'), ('ddim', 50, {}, 'n_ddpm'), ('ddim', 50, {}, 'n'), ('ddim', 20, {}, 'n'),
        ('ddim', 10, {}, 'n'), ('dpm', 20, {}, 'n'), ('dpm', 10, {}, 'n'), ('dpm', 20, {'clip_x0': False}, 'n')]

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('checkpoint'); p.add_argument('--classifier', required=True)
    p.add_argument('--ref', default='fashion-mnist-test'); p.add_argument('--train', default='fashion-mnist-train')
    p.add_argument('--n', type=int, default=2000); p.add_argument('--n-ddpm', type=int, default=500)
    p.add_argument('--batch-size', type=int, default=500); p.add_argument('--device', default=None)
    p.add_argument('--out', default='bench/results/fmnist_samplers.json')
    a = p.parse_args()
    process = DiffusionProcess.from_checkpoint(a.checkpoint, device=a.device)
    feats = ClassifierFeatures(a.classifier, process.device)
    ref = fid_stats(a.ref, feats)
    sizes = dict(n=a.n, n_ddpm=a.n_ddpm)
    train = reference_images(a.train)
    floors = {n: compute_fid(train[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:n]],
                             ref, feats, isc=False) for n in sorted(set(sizes.values()))}
    rows = []
    for sampler, steps, options, size in ROWS:
        n, t0 = sizes[size], time.time()
        x = torch.cat(list(generate_samples(process, n, batch_size=a.batch_size, sampler=sampler, steps=steps or 50,
                                            seed=0, progress=False, **options)))
        seconds = time.time() - t0
        s = compute_fid(x, ref, feats, isc=False)
        rows.append(dict(sampler=sampler, steps=steps, options=options, model_calls=steps or process.schedule.noise_steps,
                         n=n, fid=s['fid'], kid=s['kid'], kid_std=s['kid_std'], seconds_per_1000=seconds / n * 1000,
                         floor_fid=floors[n]['fid'], floor_kid=floors[n]['kid']))
        print(json.dumps(rows[-1]), flush=True)
        write(a, process, feats, ref, floors, rows)
    print(f"written to {a.out}")

def write(a, process, feats, ref, floors, rows):
    "Write the record so far (after every row, atomically), so that a stopped run keeps what it measured."
    clf_meta = feats.clf.meta
    rec = dict(device=torch.cuda.get_device_name(process.device) if process.device.type == 'cuda' else
               f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
               date=time.strftime('%Y-%m-%d'), torch=torch.__version__, checkpoint=str(a.checkpoint), step=process.step,
               features=feats.name, classifier=str(a.classifier), classifier_test_accuracy=clf_meta.get('test_accuracy'),
               ref=a.ref, ref_n=ref.n, floors={str(n): dict(fid=f['fid'], kid=f['kid']) for n, f in floors.items()},
               rows=rows, command='python bench/sampler_quality.py ' + ' '.join(
                   [a.checkpoint, '--classifier', a.classifier, '--ref', a.ref, '--train', a.train, '--n', str(a.n),
                    '--n-ddpm', str(a.n_ddpm), '--out', a.out]))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(a.out) as tmp: Path(tmp).write_text(json.dumps(rec, indent=2))

if __name__ == '__main__': main()
