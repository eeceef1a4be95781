"""The CUDA paths at toy sizes, each checked against a reference, in one record.

    python bench/gpu_smoke.py --out bench/results/gpu_smoke.json

Checks: a training step in bf16 and in fp16 (with its gradient scaler) against fp32 from the same weights and noise,
the compiled forward pass against the eager one, the captured-graph DDIM sampler against the eager loop, a checkpoint
saved on the GPU and resumed bit-exactly, one saved on the CPU resumed here, and a process group over NCCL (an
all-reduce and a data-parallel step on as many ranks as there are GPUs). Each check records `ok`, its numbers, or the error's last line; the script never stops
at the first failure, so one run shows every failure.
"""
import argparse, json, os, shlex, sys, tempfile, time, traceback
from pathlib import Path
import torch
from ddpm_nb.devices import device_name, default_device
from ddpm_nb.training import DiffusionProcess
from ddpm_nb.recipes import RECIPES
from ddpm_nb.samplers import GraphedSampler, ddim_sample
from ddpm_nb.files import atomic_path

SMALL = dict(block_out_channels=[32, 32, 32, 32])        # the benchmark's U-Net at toy widths

def _bench_process(device, **kw):
    torch.manual_seed(0)
    return DiffusionProcess.from_recipe(RECIPES['bench'], 32, 3, device=device, **SMALL, **kw)

def _rel(a, b): return ((a.float() - b.float()).norm() / b.float().norm()).item()

def check_precisions(dev):
    "One training step in bf16 and fp16 from the fp32 process's weights: losses and updated weights close to fp32's."
    g = torch.Generator().manual_seed(0)
    x0 = (torch.rand(16, 3, 32, 32, generator=g) * 2 - 1).to(dev)
    t, noise = torch.randint(0, 1000, (16,), generator=g).to(dev), torch.randn(16, 3, 32, 32, generator=g).to(dev)
    ref = _bench_process(dev, precision='fp32'); state = {k: v.clone() for k, v in ref.model.state_dict().items()}
    l32 = ref.fit_step(x0, t, noise)[0][0].item()
    out = {}
    for prec in ('bf16', 'fp16') if dev.type == 'cuda' else ('bf16',):
        p = _bench_process(dev, precision=prec); p.model.load_state_dict(state)
        loss = p.fit_step(x0, t, noise)[0][0].item()
        w = _rel(torch.cat([v.flatten() for v in p.model.state_dict().values()]),
                 torch.cat([v.flatten() for v in ref.model.state_dict().values()]))
        out[prec] = dict(loss=loss, loss_fp32=l32, weights_rel_diff=w)
        assert abs(loss - l32) < 0.05 * abs(l32) and w < 1e-2, out[prec]
    return out

def check_compile(dev):
    "The compiled forward pass (bf16) against the eager one, and one compiled training step that lowers the loss."
    p = _bench_process(dev, precision='bf16', compile=True)
    x, t = torch.rand(32, 3, 32, 32, device=dev) * 2 - 1, torch.randint(0, 1000, (32,), device=dev)
    with torch.no_grad(), p.autocast(): a, b = p.train_model(x, t).float(), p.model(x, t).float()
    t0 = time.time(); losses = [p.fit_step(x)[0][0].item() for _ in range(20)]
    rel = _rel(a, b); assert rel < 0.05, rel
    return dict(rel_diff=rel, first_loss=losses[0], last_loss=losses[-1], seconds_20_steps=time.time() - t0)

def check_graph(dev):
    "DDIM-50 through the captured CUDA graph against the eager loop, from the same noise."
    p = _bench_process(dev, precision='bf16'); net = p.model.eval()
    x_T = torch.randn(64, 3, 32, 32, device=dev, generator=torch.Generator(dev).manual_seed(0))
    with torch.autocast(dev.type, torch.bfloat16):
        graphed = GraphedSampler(net, p.schedule, x_T.shape, 'ddim', steps=50)
        a, b = graphed(x_T), ddim_sample(net, p.schedule, x_T=x_T, steps=50, progress=False)
    err = (a.float() - b.float()).abs().max().item(); assert err < 2e-2, err
    return dict(max_abs_diff=err)

def check_resume(dev, tmp):
    "Six steps straight against three, a checkpoint, and three more in a new process object: identical weights."
    from ddpm_nb.trainer import fit
    from ddpm_nb.data import ImageBatches
    data = torch.randint(0, 256, (256, 3, 32, 32), dtype=torch.uint8)
    runs = {}
    for name, stops in [('straight', [6]), ('resumed', [3, 6])]:
        for s in stops:
            p = _bench_process(dev, precision='bf16')
            fit(p, ImageBatches(data, 16, dev, seed=0), s, out=Path(tmp) / name, resume=True, ckpt_every=3,
                progress=False)
        runs[name] = torch.cat([v.flatten().float() for v in p.model.state_dict().values()])
    diff = (runs['straight'] - runs['resumed']).abs().max().item(); assert diff == 0, diff
    return dict(max_abs_diff=diff)

def check_moved(dev, tmp):
    "A checkpoint written on the CPU resumed on this device: the weights as saved, a warning about the new noise."
    import warnings
    from ddpm_nb.trainer import fit
    from ddpm_nb.data import ImageBatches
    data = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)
    p = _bench_process('cpu', precision='fp32')
    fit(p, ImageBatches(data, 8, 'cpu', seed=0), 2, out=Path(tmp) / 'moved', ckpt_every=2, progress=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        q = DiffusionProcess.from_checkpoint(Path(tmp) / 'moved', device=dev)
    from ddpm_nb.checkpoints import differing_tensors
    assert differing_tensors(p.model.state_dict(), q.model.state_dict()) == [] and q.step == 2
    if dev.type != 'cpu': assert any('another kind of device' in str(x.message) for x in w), [str(x.message) for x in w]
    return dict(step=q.step, warned=[str(x.message)[:80] for x in w if 'device' in str(x.message)])

_DDP = """
import torch, sys
from ddpm_nb.trainer import setup_distributed
rank, world, device = setup_distributed()
if not torch.distributed.is_initialized():     # one GPU: the library trains without a group; make one to check NCCL
    cuda = device.type == 'cuda'
    torch.distributed.init_process_group('nccl' if cuda else 'gloo',
                                         device_id=torch.device('cuda', torch.cuda.current_device()) if cuda else None)
    rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
x = torch.full((4,), float(rank + 1), device=device)
torch.distributed.all_reduce(x)
assert x[0].item() == world * (world + 1) / 2, x
from ddpm_nb.training import DiffusionProcess
p = DiffusionProcess(hidden_dims=[16, 32], noise_steps=20, device=device, precision='fp32')
loss = p.fit_step(torch.rand(8, 1, 28, 28, device=device) * 2 - 1)[0][0].item()
assert type(p.train_model).__name__ == 'DistributedDataParallel', type(p.train_model)
print(rank, world, torch.distributed.get_backend(), loss)
torch.distributed.destroy_process_group()
"""

def check_nccl(dev, tmp):
    "An all-reduce and a data-parallel step over NCCL under torchrun, one rank per GPU."
    import subprocess
    n = max(1, torch.cuda.device_count())
    script = Path(tmp) / 'ddp.py'; script.write_text(_DDP)
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={n}',
                        str(script)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, ' | '.join([l for l in r.stderr.splitlines() if 'Error' in l][:4]) or r.stderr[-300:]
    return dict(gpus=n, output=r.stdout.strip().splitlines())

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='bench/results/gpu_smoke.json')
    ap.add_argument('--skip', default='', help='checks to leave out, by name, separated by commas')
    a = ap.parse_args()
    dev = default_device()
    rec = dict(device=device_name(dev), date=time.strftime('%Y-%m-%d'), torch=torch.__version__,
               command=' '.join(['python', *map(shlex.quote, sys.argv)]), checks={})
    tmp = tempfile.mkdtemp()
    checks = [('precisions', lambda: check_precisions(dev)), ('compile', lambda: check_compile(dev)),
              ('cuda_graph', lambda: check_graph(dev)), ('resume', lambda: check_resume(dev, tmp)),
              ('moved', lambda: check_moved(dev, tmp))]
    checks.append(('nccl' if dev.type == 'cuda' else 'gloo', lambda: check_nccl(dev, tmp)))
    for name, fn in [(n, f) for n, f in checks if n not in a.skip.split(',')]:
        t0 = time.time()
        try: res = dict(ok=True, **fn())
        except Exception as e:
            res = dict(ok=False, error=f"{type(e).__name__}: {(str(e).splitlines() or [''])[-1]}"[:500],
                       where=traceback.format_exc().strip().splitlines()[-3][:300])
        res['seconds'] = round(time.time() - t0, 1)
        rec['checks'][name] = res
        print(name, json.dumps(res)[:400], flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(a.out) as f: f.write_text(json.dumps(rec, indent=2))
    sys.exit(0 if all(c['ok'] for c in rec['checks'].values()) else 1)

if __name__ == '__main__': main()
