"""Time the README's test command as a user meets it: on a copy of the repository in a folder with no `../shared`.

The copy holds the files git tracks (and new ones it does not ignore), so no data archive, run or cache comes along;
the command runs there with the installed environment, the copy first on the Python path. Writes the seconds, the
command and where it ran, which the README reads. Run it with nothing else busy on the machine.

    python bench/test_time.py --out bench/results/test_time.json
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from ddpm_nb.devices import device_name
from ddpm_nb.files import atomic_path

TEST = 'DDPM_NB_TOY=1 nbdev_test --n_workers 1 --flags "gpu slow"'

def copy_of_repo(to:Path)->Path:
    "The tracked and unignored files of this repository, copied into `to/ddpm_nb` (a folder with no `shared` beside)."
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], capture_output=True, check=True).stdout
    dest = to / 'ddpm_nb'; dest.mkdir(parents=True)
    subprocess.run(['tar', 'cf', '-', '--null', '-T', '-'], input=files, check=True, stdout=open(to / 'repo.tar', 'wb'))
    subprocess.run(['tar', 'xf', str(to / 'repo.tar'), '-C', str(dest)], check=True)
    return dest

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='bench/results/test_time.json')
    a = p.parse_args()
    out = Path(a.out).resolve()
    repo = copy_of_repo(Path(tempfile.mkdtemp()))
    if (repo.parent.parent / 'shared').exists(): sys.exit(f"{repo.parent.parent / 'shared'} exists: no place for a user's copy")
    env = dict(os.environ, PYTHONPATH=str(repo))
    t0 = time.time()
    r = subprocess.run(TEST, shell=True, cwd=repo, env=env, capture_output=True, text=True)
    seconds = time.time() - t0
    if r.returncode or 'Success.' not in r.stdout + r.stderr: sys.exit(f"the tests failed:\n{(r.stdout + r.stderr)[-3000:]}")
    rec = dict(seconds=seconds, command=TEST, where='a copy of the repository with no ../shared', device=device_name('cpu'),
               cores=os.cpu_count(), date=time.strftime('%Y-%m-%d'), torch=torch.__version__,
               script='python bench/test_time.py ' + ' '.join(sys.argv[1:]))
    with atomic_path(out) as f: f.write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
