"""The data floor of an offline score: the held-out split scored against the training split's statistics.

    python bench/data_floor.py --train data/cifar10-jpeg-train.tar.gz --test data/cifar10-jpeg-test.tar.gz \\
        --classifier runs/classifiers/cifar10-jpeg.pt --out bench/results/cifar10_floor.json

No model can be expected to score below it with the same features and sample count.
"""
import argparse, json, shlex, sys, time
import torch
from ddpm_nb.data import load_images, device_name, default_device
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid
from ddpm_nb.files import atomic_path

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--train', required=True); ap.add_argument('--test', required=True)
    ap.add_argument('--classifier', required=True); ap.add_argument('--stats-cache', default=None)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    dev = default_device()
    feats = ClassifierFeatures(a.classifier, device=dev)
    ref = fid_stats(load_images(a.train), feats, cache=a.stats_cache)
    test = load_images(a.test)
    score = compute_fid(test.images, ref, feats)
    rec = dict(device=device_name(dev), date=time.strftime('%Y-%m-%d'),
               command=' '.join(['python', *map(shlex.quote, sys.argv)]), train=a.train, test=a.test,
               n_test=len(test.images), **{k: v for k, v in score.items() if isinstance(v, (int, float, str))})
    with atomic_path(a.out) as f: f.write_text(json.dumps(rec, indent=2))
    print(json.dumps(rec, indent=2))

if __name__ == '__main__': main()
