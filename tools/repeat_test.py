"""Run one test cell of a notebook many times in a row: for tests that start processes or threads, whose faults show
in some runs only.

The notebook runs once, top to bottom, up to the first cell that contains TEXT (skipping flagged cells, as
`nbdev_test` does); then that cell runs TIMES times in the same shell. Each run prints one line; the summary says how
many failed, and the exit status is 1 if any did.

    python tools/repeat_test.py nbs/16_fid.ipynb --cell "torch.distributed.run" --times 30
"""
import argparse, os, sys, time
from pathlib import Path
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.process import extract_directives
from fastcore.basics import AttrDict

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('notebook')
    p.add_argument('--cell', required=True, help='text that the cell to repeat contains (its first such cell)')
    p.add_argument('--times', type=int, default=30, help='how many runs (default: 30)')
    a = p.parse_args()
    fn = Path(a.notebook).resolve()
    skip = set(get_config().tst_flags.split())
    cells = [c for c in read_nb(fn).cells if c.cell_type == 'code']
    target = next((i for i, c in enumerate(cells) if a.cell in c.source), None)
    if target is None: sys.exit(f"{fn.name} has no code cell containing {a.cell!r}")
    sh = CaptureShell(fn)
    os.chdir(fn.parent)
    def run(src):
        sh.exc = None
        sh.run(src)
        return sh.exc
    for c in cells[:target]:
        if skip & extract_directives(AttrDict(c), remove=False).keys() or 'nbdev_export(' in c.source: continue
        if (e := run(c.source)) is not None: sys.exit(f"the notebook failed before the cell: {type(e).__name__}: {e}")
    failed = 0
    for k in range(1, a.times + 1):
        t0 = time.time(); e = run(cells[target].source)
        failed += e is not None
        print(f"run {k:2d}: {'passed' if e is None else 'FAILED: ' + (str(e).strip().splitlines() or [''])[-1][:200]}"
              f" ({time.time() - t0:.1f}s)", flush=True)
    print(f"{a.times - failed} of {a.times} runs passed ({fn.name}, the cell containing {a.cell!r})")
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
