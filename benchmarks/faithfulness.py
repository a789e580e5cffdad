"""How right are the labels, layer by layer? NeuronEval's five metrics with WordNet's ground truth.

Usage: python benchmarks/faithfulness.py [--probe DIR] [--out DIR] [--k 10] [--holdout 0.5] [--alpha tune] [--chunk 250] [--units all]

Explains EfficientNet-Lite0's layers blocks.10, head and fc on the probe set (default: the 1,000 ImageNet sample
images) with www, gradcam-tvmf and soft-wpmi, WordNet concepts and the offline stand-in encoder
conse-lite2-minilm (ConSE, not CLIP), every unit, then scores every label (`faithfulness`): held out, in sample
and on all images, beside a random concept and another unit's concept. Prints the tables, the in-sample
inflation, the known-neurons test on fc (per metric and alpha; alpha is tuned per metric on 5% of them) and NeuronEval's two sanity checks on the run's
own labels, and writes OUT/faithfulness.csv, OUT/faithfulness.json and OUT/faithfulness-bench.json.
The stages are cached (set NEURON_CONCEPTS_CACHE): a second run reuses the explanation.
"""
import argparse, json, time
from pathlib import Path

import torch

from neuron_concepts import explain, faithfulness
from neuron_concepts.faithfulness import known_neuron_data
from neuron_concepts.groundtruth import LabelPresence, concept_synsets
from neuron_concepts.metrics import ALPHAS, METRICS, known_neurons, metric_matrix, perturb_labels, tune_alpha

LAYERS, METHODS = ('blocks.10', 'head', 'fc'), ('www', 'gradcam-tvmf', 'soft-wpmi')


def known_neuron_test(expl, alphas=ALPHAS):
    "Final-layer unit u is class u: the fraction of units whose own class's synset scores best, per metric."
    A, C, own, units = known_neuron_data(expl)
    _, tuners = tune_alpha(A, C, own)  # the units that chose alpha (the same draw as `faithfulness`) are left out
    rest = torch.tensor([u for u in range(A.shape[1]) if u not in set(tuners.tolist())])
    out = {a: known_neurons(A[:, rest], C, own[rest], a) for a in alphas}
    return dict(units=len(rest), left_out=len(tuners), candidates=C.shape[1], chance=1 / C.shape[1], by_alpha=out)


def sanity_checks(expl, rows, alpha, min_pos=4):
    "NeuronEval's checks on the run's own top labels (split all, >= min_pos positives): does each metric fall?"
    out = {}
    for layer in LAYERS:
        res = expl[layer]
        ok = torch.as_tensor(res.acts['center'].valid)
        A = res.acts['center'].load().values.double()[ok]
        syn = concept_synsets(res.concept_set)
        pres = LabelPresence(expl.probe.labels, syn)
        rs = [r for r in rows if r['layer'] == layer and r['split'] == 'all' and r['baseline'] == ''
              and r['target'] == 'top' and r['wnid'] and int(r['n_positive']) >= min_pos]
        if not rs:
            out[layer] = dict(labels=0)
            continue
        first = {}
        for j, w in enumerate(syn):
            first.setdefault(w, j)
        C = pres(0, len(expl.probe), [first[r['wnid']] for r in rs]).double()[ok]
        Au = A[:, [int(r['unit']) for r in rs]]
        base = {k: torch.diagonal(v) for k, v in metric_matrix(Au, C, alpha).items()}
        out[layer] = dict(labels=len(rs))
        for kind in ('drop', 'add'):
            worse = {k: torch.diagonal(v) for k, v in metric_matrix(Au, perturb_labels(C, kind, 0.5), alpha).items()}
            out[layer][kind] = {k: dict(before=float(base[k].nanmean()), after=float(worse[k].nanmean()),
                                        fell=float((worse[k] < base[k]).double().mean())) for k in METRICS}
    return out


def print_checks(sc):
    print("\nsanity checks on the run's own top labels (>= 4 positives; half the positives dropped, or as many "
          "wrong ones added): mean before -> after, and the fraction of labels whose score falls")
    for layer, r in sc.items():
        for kind in ('drop', 'add'):
            if kind in r:
                print(f"  {layer} ({r['labels']} labels), {kind}: " + ', '.join(
                    f"{k} {v['before']:.3f} -> {v['after']:.3f} ({v['fell']:.2f})" for k, v in r[kind].items()))


def checks_only(a):
    "Known neurons and sanity checks of a finished benchmark (its run from the cache, its faithfulness.csv)."
    import csv
    expl = explain('efficientnet-lite0', layers=list(LAYERS), probe=a.probe, encoder='conse-lite2-minilm',
                   concepts='wordnet', methods=METHODS, k=a.k, units=a.units, chunk=a.chunk, progress=False)
    with open(Path(a.out) / 'faithfulness.csv', newline='', encoding='utf-8') as fh:
        rows = list(csv.DictReader(fh))
    kn = known_neuron_test(expl)
    about = json.loads((Path(a.out) / 'faithfulness.json').read_text())['about']
    sc = sanity_checks(expl, rows, about['alpha'])
    print(f"known neurons (fc, {kn['units']} units, the {kn['left_out']} that tuned alpha left out, "
          f"{kn['candidates']} candidate synsets, chance "
          f"{kn['chance']:.4f}): fraction whose own class scores best")
    for al, r in kn['by_alpha'].items():
        print(f'  alpha {al}: ' + ', '.join(f'{k} {v:.3f}' for k, v in r.items()))
    print_checks(sc)
    (Path(a.out) / 'faithfulness-checks.json').write_text(json.dumps(dict(known_neurons=kn, sanity=sc), indent=1) + '\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--probe', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'imagenet-samples'))
    ap.add_argument('--out', default='bench-out/faithfulness')
    ap.add_argument('--k', type=int, default=10)
    ap.add_argument('--holdout', type=float, default=0.5)
    ap.add_argument('--alpha', type=lambda x: x if x == 'tune' else float(x), default='tune',
                    help="fraction of images counted active: 'tune' (per metric on fc's known neurons) or a number")
    ap.add_argument('--chunk', type=int, default=250, help='images per activation chunk file (streamed)')
    ap.add_argument('--units', default='all', help="units of each layer: all, or e.g. 0-111 (blocks.10 has 112)")
    ap.add_argument('--quiet', action='store_true', help='no progress bars (on stderr)')
    ap.add_argument('--checks-only', action='store_true', help='only the known-neuron and sanity checks of OUT')
    a = ap.parse_args()
    if a.checks_only:
        return checks_only(a)
    t0 = time.time()
    expl = explain('efficientnet-lite0', layers=list(LAYERS), probe=a.probe, encoder='conse-lite2-minilm',
                   concepts='wordnet', methods=METHODS, k=a.k, units=a.units, chunk=a.chunk, out=a.out, progress=not a.quiet)
    t1 = time.time()
    f = faithfulness(expl, holdout=a.holdout, alpha=a.alpha, out=a.out, progress=not a.quiet)
    t2 = time.time()
    kn = known_neuron_test(expl)
    sc = sanity_checks(expl, f.rows, f.about['alpha'])
    t3 = time.time()
    print('NOTE: the image-text encoder is the offline stand-in conse-lite2-minilm (ConSE), not CLIP.')
    print(f"probe: {f.about['n_images']} images ({f.about['n_heldout']} held out); alpha {f.about['alpha']} "
          f"({f.about['alpha_chosen']}); k {a.k}\n")
    print('top concept:\n' + f.table('top') + '\n\nselected set:\n' + f.table('set') + '\n')
    print('in-sample inflation (insample - heldout), top concept:')
    for layer, ms in f.inflation.items():
        for m, t in ms.items():
            d = t['top']
            print(f'  {layer} {m}: ' + ', '.join(f'{k} {d[k]:+.3f}' if d[k] is not None else f'{k} -'
                                                 for k in METRICS))
    print(f"\nknown neurons (fc, {kn['units']} units, the {kn['left_out']} that tuned alpha left out, "
          f"{kn['candidates']} candidate synsets, chance "
          f"{kn['chance']:.4f}): fraction whose own class scores best")
    for al, r in kn['by_alpha'].items():
        print(f'  alpha {al}: ' + ', '.join(f'{k} {v:.3f}' for k, v in r.items()))
    print_checks(sc)
    secs = dict(explain=round(t1 - t0, 1), faithfulness=round(t2 - t1, 1), checks=round(t3 - t2, 1))
    print(f'\nseconds: {secs}')
    bench = dict(seconds=secs, known_neurons=kn, sanity=sc, inflation=f.inflation, about=f.about,
                 summary=f.summary)
    (Path(a.out) / 'faithfulness-bench.json').write_text(json.dumps(bench, indent=1, default=str) + '\n')


if __name__ == '__main__':
    main()
