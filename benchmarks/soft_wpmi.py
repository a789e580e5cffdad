"""soft-WPMI's inner loop: the library's in-place loop against the formula written plainly, side by side.

Usage: python benchmarks/soft_wpmi.py [--units 1280] [--images 502] [--concepts 82115] [--threads 1]

soft-WPMI costs units x concepts x k terms (k = 100): on EfficientNet-Lite0's `head` (1,280 units) and WordNet's
82,115 concepts, 10.5 billion logs. Both versions run on the same random features (seeded) in the same process; the
script prints the seconds of each, their ratio, and whether the scores are equal bit for bit.
"""
import argparse, math, time

import torch

from neuron_concepts.dissect import DISSECT_DEFAULTS, _wpmi_core, concept_chunk, concept_logsumexp, cosines, top_images


def plain(acts, img, text, top_k, a, lam, min_prob, ramp, chunk):
    "The same scores with the loop written as the formula: a new tensor for every step."
    inds = top_images(acts, top_k)
    k = inds.shape[1]
    used, rows = torch.unique(inds, return_inverse=True)
    V = img[used]
    lse = concept_logsumexp(V, text, a, chunk)
    w = ramp[0] - torch.arange(k, dtype=torch.float64) / k * (ramp[0] - ramp[1])
    U, C = inds.shape[0], text.shape[0]
    logp = torch.empty(U, C, dtype=torch.float64)
    step = concept_chunk(max(U, len(used)), chunk)
    for j in range(0, C, step):
        P = torch.exp(a * cosines(V, text[j : j + step]).to(lse.dtype) - lse[:, None])
        acc = torch.zeros(U, P.shape[1], dtype=torch.float64)
        for i in range(k):
            acc += torch.log(1 + w[i] * (P[rows[:, i]] - 1) + min_prob)
        logp[:, j : j + step] = acc
    return logp - lam * (torch.logsumexp(logp, dim=0, keepdim=True) - math.log(U))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--units', type=int, default=1280)
    ap.add_argument('--images', type=int, default=502)
    ap.add_argument('--concepts', type=int, default=82115)
    ap.add_argument('--dim', type=int, default=384)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    img = torch.nn.functional.normalize(torch.randn(a.images, a.dim, generator=g), dim=-1)
    text = torch.nn.functional.normalize(torch.randn(a.concepts, a.dim, generator=g), dim=-1)
    acts = torch.randn(a.images, a.units, generator=g)
    kw = DISSECT_DEFAULTS['soft_wpmi']
    args = (kw['top_k'], kw['a'], kw['lam'], kw['min_prob'], (kw['p_start'], kw['p_end']), 2048)
    t = time.time()
    new = _wpmi_core(acts, img, text, *args, None)
    t_new = time.time() - t
    t = time.time()
    old = plain(acts, img, text, *args)
    t_old = time.time() - t
    print(f'{a.units} units x {a.concepts} concepts x {kw["top_k"]} images, {a.threads} thread(s)')
    print(f'plain loop {t_old:.1f} s, library {t_new:.1f} s: {t_old / t_new:.2f}x; equal bit for bit: '
          f'{torch.equal(old, new)}')


if __name__ == '__main__':
    main()
