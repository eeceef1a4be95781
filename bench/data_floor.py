"""The data floor of an offline score, and what the classifier behind it gets right.

The held-out split is scored against the training split's statistics (all of it, and as many images as a model's
score uses), and real training images against the held-out split's statistics (the reference a model is scored
against), with the same features and sample counts as the models' scores: no model can be expected to score below
it. The classifier's accuracy and confusion matrix on the held-out split are recorded beside it.

    python bench/data_floor.py --data cifar10 --data-root ../shared/data --classifier cifar10 \\
        --out bench/results/cifar10_floor.json
    python bench/data_floor.py --data fashion-mnist --classifier fashion-mnist --out bench/results/fmnist_floor.json
"""
import argparse, json, shlex, sys, time
import torch
from ddpm_nb.devices import device_name, default_device
from ddpm_nb.data import load_images
from ddpm_nb.classifier import ClassifierFeatures
from ddpm_nb.fid import fid_stats, compute_fid
from ddpm_nb.files import atomic_path

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', required=True, help='the data set: a named set, or a folder or archive of its training split')
    ap.add_argument('--test', default=None, help='its held-out split, when --data is a folder or archive')
    ap.add_argument('--data-root', default=None, help='where the named data sets live (default: data/)')
    ap.add_argument('--classifier', required=True, help='the classifier: a file or a shipped name')
    ap.add_argument('--n', type=int, default=2000, help="the sample count of the models' scores (default: 2000)")
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    dev = default_device()
    feats = ClassifierFeatures(a.classifier, device=dev)
    train = load_images(a.data, a.data_root)
    test = load_images(a.test or a.data, a.data_root, train=False) if a.test or not a.data.endswith('.gz') else None
    if test is None: sys.exit('give --test, the held-out split of the folder or archive --data')
    g = torch.Generator().manual_seed(0)
    some = train.images[torch.randperm(len(train.images), generator=g)[:a.n]]
    floors = dict(test_vs_train=compute_fid(test.images, fid_stats(train, feats), feats, isc=False),
                  train_vs_test=compute_fid(some, fid_stats(test, feats), feats, isc=False))
    pred = torch.from_numpy(feats.probs(test.images)).argmax(1)
    k = len(feats.clf.classes)
    confusion = torch.zeros(k, k, dtype=torch.long)
    confusion.index_put_((test.labels, pred), torch.ones_like(pred), accumulate=True)
    rec = dict(device=device_name(dev), date=time.strftime('%Y-%m-%d'),
               command=' '.join(['python', *map(shlex.quote, sys.argv)]), data=a.data, features=feats.name,
               classes=feats.clf.classes, n_test=len(test.images), n_train=len(train.images),
               test_accuracy=(pred == test.labels).float().mean().item(), confusion=confusion.tolist(),
               floors={k: {m: v for m, v in s.items() if isinstance(v, (int, float, str))} for k, s in floors.items()})
    with atomic_path(a.out) as f: f.write_text(json.dumps(rec, indent=1))
    print(json.dumps({k: v for k, v in rec.items() if k != 'confusion'}, indent=1))

if __name__ == '__main__': main()
