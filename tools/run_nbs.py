"""Execute notebooks in place, saving their outputs, the way `nbdev_test` runs them.

Cells carrying a test flag (`#| slow`, `#| gpu`, ...) are skipped unless the flag is passed with `--flags`,
so outputs of flagged cells already in a notebook are kept as they are.

    python tools/run_nbs.py nbs/00_schedules.ipynb [more.ipynb ...] [--flags "gpu"]
"""
import argparse, os, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.process import extract_directives
from fastcore.basics import AttrDict

def run_nb(fn, flags=()):
    "Run notebook `fn` top to bottom in a fresh shell and save its outputs; return the seconds it took."
    skip = set(get_config().tst_flags.split()) - set(flags)
    nb = read_nb(fn)
    direcs = [extract_directives(AttrDict(c), remove=False) if c.cell_type == 'code' else {} for c in nb.cells]
    def _no_eval(cell):
        if cell.cell_type != 'code': return True
        if 'nbdev_export'+'(' in cell.source: return True
        d = direcs[nb.cells.index(cell)]
        if d.get('eval:', [''])[0].lower() == 'false': return True
        return bool(skip & d.keys())
    for c in nb.cells:
        if not _no_eval(c): c['outputs'], c['execution_count'] = [], None
    sh = CaptureShell(fn)
    if os.environ.get('NB_TIMING'):
        import time as _t
        orig = sh.run
        def run(code, *a, **k):
            t0 = _t.time(); r = orig(code, *a, **k); dt = _t.time() - t0
            if dt > 0.5: print(f'  {dt:6.1f}s  {code.strip().splitlines()[0][:90] if code.strip() else ""}', flush=True)
            return r
        sh.run = run
    t0, cwd = time.time(), os.getcwd()
    os.chdir(Path(fn).parent)
    try: sh.run_all(nb, exc_stop=True, preproc=_no_eval)
    except Exception as e:
        bad = [c for c in nb.cells if any(o.get('output_type') == 'error' for o in c.get('outputs', []))]
        src = bad[0].source if bad else '?'
        raise SystemExit(f"{fn} failed in the cell:\n{src}\n{type(e).__name__}: {str(e)[:600]}") from None
    finally: os.chdir(cwd)
    write_nb(nb, fn)
    return time.time() - t0

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('nbs', nargs='+')
    p.add_argument('--flags', default='', help='space-separated test flags whose cells should run')
    a = p.parse_args()
    for fn in a.nbs:
        print(f'{fn}: {run_nb(Path(fn).resolve(), a.flags.split()):.1f}s', flush=True)
