"""Quality against CPU-minutes of a training run: every kept checkpoint of the run scored with DPM-Solver++(2M)-20.

A checkpoint of step s stands for s x batch / img_s seconds of training on two quiet cores, where img_s is the
recipe's throughput measured alone (bench/cpu_recipe.py measures it; pass it with --img-s), so the curve does not
depend on what else the machine did while the run trained. Each point: 2,000 samples, FID and KID with the offline
classifier's features against the 10,000 test images, the fraction of pixels at exactly 255, and the classes the
classifier gives the samples. Writes (and updates, under --label) one JSON file, which a chapter shows. A label may
gather points from several runs (a recipe that cools down at the end of its budget takes one run per budget); each
point keeps the run it came from and the commands that trained it, and a point that another run gave at the same
step is scored again from the run named, so the commands in `scored_by`, run in order, give the file back.

    python bench/cpu_curve.py runs/fmnist-design --label mnist --img-s 260 --minutes 5,10,20,30,45,60 \\
        --out bench/results/cpu_curve.json
    python bench/cpu_curve.py runs/cifar-cpu --data cifar10 --data-root ../shared/data --label cifar-cpu \\
        --img-s 150 --minutes 10,30,60,120 --out bench/results/cifar_cpu_curve.json
"""
import argparse, json, shlex, sys, time
from pathlib import Path
import torch
from ddpm_nb.files import atomic_path
from ddpm_nb.devices import device_name
from ddpm_nb.data import to_uint8, to_base64, load_images
from ddpm_nb.checkpoints import checkpoints, load_checkpoint
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('run', help='a run directory whose checkpoints were kept')
    p.add_argument('--label', required=True, help='the name of this curve in the JSON file (e.g. the recipe)')
    p.add_argument('--img-s', type=float, required=True, help="the recipe's measured training throughput, img/s")
    p.add_argument('--minutes', default='5,10,20,30,45,60', help='the points to score, in minutes of training')
    p.add_argument('--data', default='fashion-mnist', help='the data set the run trained on (default: fashion-mnist)')
    p.add_argument('--data-root', default=None, help='where the data set lives (default: data/)')
    p.add_argument('--classifier', default=None, help="the offline classifier (default: the data set's shipped one)")
    p.add_argument('--sample-precision', choices=['trained', 'auto'], default='trained',
                   help="sample in the run's own precision, or in bf16 where native (default: trained)")
    p.add_argument('--n', type=int, default=2000, help='samples per point (default: 2000)')
    p.add_argument('--out', default='bench/results/cpu_curve.json')
    a = p.parse_args()
    out = Path(a.out)
    rec = json.loads(out.read_text()) if out.exists() else dict(runs={})
    feats = ClassifierFeatures(a.classifier or a.data, 'cpu')
    ref = fid_stats(load_images(a.data, a.data_root, train=False), feats)
    ckpts = {load_checkpoint(c)['step']: c for c in checkpoints(a.run)}
    run = json.loads((Path(a.run) / 'run.json').read_text())
    bs = run['data']['batch_size']
    cur = rec['runs'].setdefault(a.label, {})
    for pt in cur.get('points', []):                   # files written when a label had one run: say it per point
        pt.setdefault('run', cur.get('run')); pt.setdefault('commands', cur.get('commands', []))
    scored_by = cur.get('scored_by', [cur['command']] if 'command' in cur else [])
    for k in ('run', 'commands', 'command'): cur.pop(k, None)
    cur.update(img_s=a.img_s, batch_size=bs, process=run['process'], points=cur.get('points', []), scored_by=scored_by)
    run_name = str(Path(a.run))
    done = {pt['step']: pt['run'] for pt in cur['points']}   # a point from another run at a step is scored again
    for m in [float(x) for x in a.minutes.split(',')]:
        step = min(ckpts, key=lambda s: abs(s - m * 60 * a.img_s / bs))
        if abs(step * bs / a.img_s / 60 - m) > 0.01 * m:
            print(f"{a.run} has no checkpoint at {m:g} minutes (the nearest is step {step}); skipped", flush=True)
            continue
        if done.get(step) == run_name: continue
        if step in done:
            print(f"step {step} of {a.label!r} came from {done[step]}; scoring it again from {a.run}", flush=True)
            cur['points'] = [pt for pt in cur['points'] if pt['step'] != step]
        process = DiffusionProcess.from_checkpoint(ckpts[step], device='cpu', **(
            dict(precision='auto') if a.sample_precision == 'auto' else {}))
        t0 = time.time()
        x = process.sample(a.n, 'dpm', steps=20, seed=0)
        s = compute_fid(x, ref, feats, isc=False)
        counts = torch.bincount(torch.from_numpy(feats.probs(to_uint8(x))).argmax(1), minlength=len(feats.clf.classes))
        cur['points'].append(dict(step=step, minutes=step * bs / a.img_s / 60, fid=s['fid'], kid=s['kid'],
                                  kid_std=s['kid_std'], saturated=(to_uint8(x) == 255).float().mean().item(),
                                  sample_seconds=time.time() - t0, class_counts=counts.tolist(),
                                  samples=to_base64(x[:8]), run=run_name, commands=run.get('commands', [])))
        print(json.dumps({k: v for k, v in cur['points'][-1].items() if k not in ('samples', 'commands')}), flush=True)
        cur['points'].sort(key=lambda pt: pt['step']); done[step] = run_name
        rec.update(device=device_name('cpu'), date=time.strftime('%Y-%m-%d'), torch=torch.__version__,
                   features=feats.name, n=a.n, sampler='dpm', steps=20, ref=f'{a.data}-test', classes=feats.clf.classes)
        write(out, rec, cur)
    write(out, rec, cur)                               # also when nothing was new: the file in today's layout
    print(f"written to {out}")

def write(out, rec, cur):
    command, unquoted = ('python bench/cpu_curve.py ' + j(sys.argv[1:]) for j in (shlex.join, ' '.join))
    cur['scored_by'] = [c for c in cur['scored_by'] if c != unquoted or c == command]   # as a shell reads it back
    if command not in cur['scored_by']: cur['scored_by'].append(command)
    with atomic_path(out) as tmp: tmp.write_text(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
