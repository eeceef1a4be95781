"""The README's commands, timed as a user meets them: each runs as its own process, start-up included.

Sampling the shipped models (a grid of 64 with DPM-Solver++(2M)-20 and with the defaults, DDIM-50, and 2,000
DPM-20 samples into a folder), then the quick start: training `mnist-cpu` on Fashion-MNIST for the README's steps,
and scoring the result as the README does. Writes one JSON file with each command, its seconds and what it reports,
which the README and chapter 18 read, and the README's pictures: each shipped model's grid of 64, and the quick
start's. With `--no-train`, only the shipped models named by `--models` are timed again, into the same file.

    python bench/quick_start.py --images nbs/images --out bench/results/quick_start.json
    python bench/quick_start.py --models cifar10 --no-train --images nbs/images --out bench/results/quick_start.json
"""
import argparse, csv, json, shlex, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from ddpm_nb.devices import device_name
from ddpm_nb.files import atomic_path
from ddpm_nb.pretrained import PRETRAINED

def timed(words:list)->tuple:
    "Run `ddpm_nb words`; (seconds, stdout)."
    t0 = time.time()
    r = subprocess.run(['ddpm_nb', *map(str, words)], capture_output=True, text=True)
    if r.returncode: sys.exit(f"ddpm_nb {' '.join(map(str, words))} failed: {r.stderr.strip()[-500:]}")
    return time.time() - t0, r.stdout

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--steps', type=int, default=800, help="the quick start's training steps (default: 800)")
    p.add_argument('--images', default=None, help='where to write the grids as PNGs (default: nowhere)')
    p.add_argument('--models', default=','.join(PRETRAINED), help='the shipped models to time (default: all)')
    p.add_argument('--no-train', action='store_true', help="time only the shipped models' commands, and keep the "
                   "quick start's results of --out")
    p.add_argument('--out', default='bench/results/quick_start.json')
    a = p.parse_args()
    models = [m for m in a.models.split(',') if m]
    if set(models) - set(PRETRAINED): sys.exit(f"unknown models {sorted(set(models) - set(PRETRAINED))}; the shipped "
                                               f"ones are {', '.join(PRETRAINED)}")
    old = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
    if a.no_train and 'train' not in old: sys.exit(f"--no-train keeps the quick start of {a.out}, which has none")
    tmp, rec = Path(tempfile.mkdtemp()), dict(device=device_name('cpu'), date=time.strftime('%Y-%m-%d'),
                                              torch=torch.__version__, command='python bench/quick_start.py ' +
                                              ' '.join(map(shlex.quote, sys.argv[1:])),
                                              commands=old.get('commands', {}))
    if a.no_train: rec.update(train=old['train'], fid=old['fid'])
    def run(key, words):
        seconds, out = timed(words)
        rec['commands'][key] = dict(command='ddpm_nb ' + ' '.join(map(str, words)).replace(str(tmp) + '/', ''),
                                    seconds=seconds, date=rec['date'], device=rec['device'])
        print(f"{key}: {seconds:.1f}s", flush=True)
        return out
    grid = lambda name: Path(a.images) / f'{name}.png' if a.images else tmp / f'{name}.png'
    for name in models:
        run(f'sample {name} 64', ['sample', name, '--sampler', 'dpm', '--n', 64, '--out', grid(f'shipped_{name}')])
        run(f'sample {name} 64 defaults', ['sample', name, '--n', 64, '--out', tmp / f'{name}_defaults.png'])
        run(f'sample {name} 2000', ['sample', name, '--sampler', 'dpm', '--n', 2000, '--out', tmp / name, '--quiet'])
    if a.no_train: return write(rec, a.out)
    run('train', ['train', '--model', 'mnist-cpu', '--dataset', 'fashion-mnist', '--steps', a.steps,
                  '--out', tmp / 'runs/quick-start'])
    run('sample quick-start 64', ['sample', tmp / 'runs/quick-start', '--n', 64, '--out', grid('quick_start')])
    rows = list(csv.DictReader(open(tmp / 'runs/quick-start/loss.csv')))
    rec['train'] = dict(steps=a.steps, images=a.steps * 64, loop_img_s=[float(r['img_per_s']) for r in rows][1:])
    out = run('fid', ['fid', tmp / 'runs/quick-start', '--ref', 'fashion-mnist-test', '--features', 'classifier',
                      '--n', 2000, '--sampler', 'dpm', '--quiet'])
    rec['fid'] = {k: v for k, v in json.loads(out).items() if k in ('fid', 'kid', 'kid_std', 'n', 'features')}
    write(rec, a.out)

def write(rec:dict, out:str):
    with atomic_path(out) as f: f.write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
