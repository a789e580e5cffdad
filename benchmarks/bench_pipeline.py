"""End-to-end benchmark of the pipeline against its floor and against a naive WWW-style pipeline.

Usage:
    python benchmarks/bench_pipeline.py [--probe DIR] [--images 1000] [--concepts wordnet] [--device cpu]

Random-initialised ResNet-50 and CLIP ViT-B/32 (nothing is downloaded), the final layer `fc`, the proposed
method (Grad-CAM crop + t-vMF), k = 40. One process measures, side by side:

* the pipeline (`neuron_concepts.pipeline.run`) on a cold cache, stage by stage, and its peak RSS;
* the same run again with the cache warm (the text features must be reused, not recomputed);
* the floor: each unavoidable model pass timed alone in a tight loop on inputs already in memory
  (Grad-CAM forward+backward per image, the forward pass of the crops, the CLIP image tower on the distinct
  representative images, the CLIP text tower on the concept prompts at their shortest exact context);
* a naive pipeline in WWW's style: one image at a time through Grad-CAM and the model, one CLIP image
  encoding per (unit, image) pair, one prompt at a time at CLIP's full 77-token context, scores per unit and
  image. It is timed on subsets and extrapolated (said so in the JSON);
* text encoding of the concept set at the shortest context against open_clip's `encode_text` at full context
  (timed on a random subset, with the maximum absolute difference of the features);
* autocast against float32: the pipeline again under bf16 and under fp16 autocast (`amp`; on the CPU too,
  where torch supports it), and how many units' selected concepts change against the float32 run
  (key `amp_selection_changes`; `--skip-amp-compare` leaves it out);
* CLIP-Dissect's soft-WPMI (key `soft_wpmi`): on random activations of 1,000 units over the probe's number of
  images and random unit-norm features of the concept set's size, its seconds and peak RSS, and the ratio to
  the bare image-concept matrix multiply alone (`--only-dissect` measures only this, in seconds).

The last line printed is one JSON object with every figure.
"""
import argparse, json, os, platform, resource, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image

from neuron_concepts.probe import read_probe, load_rgb
from neuron_concepts.models import load_target, get_layer, effective_amp
from neuron_concepts.crop import resized_size, center_box, crop_pixels, original_crop, cam_input_size, _shape_batches
from neuron_concepts.similarity import cosine, tvmf
from neuron_concepts.encoders import OpenClipEncoder
from neuron_concepts.resources import load_concepts
from neuron_concepts.pipeline import RunConfig, run


def rss_gb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024 ** 2   # ru_maxrss is in KiB on Linux


def timed(fn):
    t = time.perf_counter(); out = fn(); return out, time.perf_counter() - t


def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()


def bench_soft_wpmi(n_images: int, n_concepts: int, units: int = 1000, dim: int = 512, device='cpu') -> dict:
    "soft-WPMI (chunked) against the N x C matrix multiply alone, on random inputs of the given sizes."
    from neuron_concepts.dissect import soft_wpmi
    g = torch.Generator().manual_seed(0)
    acts = torch.randn(n_images, units, generator=g)
    V = F.normalize(torch.randn(n_images, dim, generator=g), dim=-1).to(device)
    T = F.normalize(torch.randn(n_concepts, dim, generator=g), dim=-1).to(device)
    rss0 = rss_gb()
    _, t_mm = timed(lambda: (V @ T.T, sync(device)))
    S, t = timed(lambda: (soft_wpmi(acts, V, T, device=device), sync(device))[0])
    return dict(images=n_images, concepts=n_concepts, units=units, seconds=round(t, 2), matmul_seconds=round(t_mm, 3),
                ratio_to_matmul=round(t / t_mm, 1), peak_rss_gb=round(rss_gb(), 3),
                peak_rss_before_gb=round(rss0, 3), scores_gb=round(S.numel() * S.element_size() / 1e9, 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--probe', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'imagenet-samples'))
    ap.add_argument('--images', type=int, default=1000)
    ap.add_argument('--concepts', default='wordnet')
    ap.add_argument('--k', type=int, default=40)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument('--amp', nargs='?', const='bf16', default=None, choices=('bf16', 'fp16'),
                    help='autocast of the timed runs (a bare --amp is bf16); see also amp_selection_changes')
    ap.add_argument('--skip-amp-compare', action='store_true',
                    help='do not rerun the pipeline under bf16 and fp16 to count the selections that change')
    ap.add_argument('--naive-images', type=int, default=24, help='images timed in the naive per-image passes')
    ap.add_argument('--naive-pairs', type=int, default=48, help='(unit, image) CLIP encodings timed in the naive pipeline')
    ap.add_argument('--naive-texts', type=int, default=256, help='prompts timed one at a time at full context')
    ap.add_argument('--text-subset', type=int, default=2048, help='prompts for the full-context text comparison')
    ap.add_argument('--work', default=None, help='folder for the probe subset and caches (default: a temporary one)')
    ap.add_argument('--only-dissect', action='store_true', help='measure only soft-WPMI (random inputs; key soft_wpmi)')
    a = ap.parse_args()
    if a.only_dissect:
        n = min(a.images, sum(p.suffix.lower() in ('.jpeg', '.jpg', '.png') for p in Path(a.probe).iterdir()))
        print(json.dumps(dict(soft_wpmi=bench_soft_wpmi(n, len(load_concepts(a.concepts).words), device=a.device),
                              concept_set=a.concepts, device=a.device, threads=torch.get_num_threads())))
        return
    torch.manual_seed(0)
    dev = torch.device(a.device)
    work = Path(a.work or tempfile.mkdtemp(prefix='nc-bench-'))
    src = sorted(p for p in Path(a.probe).iterdir() if p.suffix.lower() in ('.jpeg', '.jpg', '.png'))[:a.images]
    probe_dir = work / 'probe'
    probe_dir.mkdir(parents=True, exist_ok=True)
    for p in src:
        if not (probe_dir / p.name).exists(): os.symlink(p.resolve(), probe_dir / p.name)
    words = load_concepts(a.concepts).words
    out = dict(images=len(src), concepts=len(words), concept_set=a.concepts, device=str(dev), k=a.k,
               models='resnet50 (random init) + open_clip ViT-B-32 (random init)', torch=torch.__version__,
               threads=torch.get_num_threads(), workers=a.workers, machine=f'{platform.machine()}, {os.cpu_count()} cpus')
    if dev.type == 'cuda': out['card'] = torch.cuda.get_device_name(dev)

    # ---------------------------------------------------------------- the pipeline, cold then warm
    cfg = dict(probe=str(probe_dir), model='resnet50', weights='random', encoder='ViT-B-32', encoder_weights='random',
               concepts=a.concepts, methods=('gradcam-tvmf',), k=a.k, device=str(dev), workers=a.workers, amp=a.amp,
               cache_dir=str(work / 'cache'), batch_size=64, cam_batch_size=8)
    res, total = timed(lambda: run(RunConfig(**cfg), progress=False)['fc'])
    out['seconds'] = {k: v for k, v in res.info['seconds'].items() if k != 'total'}
    out['seconds']['total'] = round(total, 2)
    out['peak_rss_gb'] = round(max(rss_gb(), rss_gb(resource.RUSAGE_CHILDREN)), 3)
    res2, total2 = timed(lambda: run(RunConfig(**cfg), progress=False)['fc'])
    st2 = dict(res2.info['stages'])
    out['second_run'] = dict(seconds=round(total2, 2), text_features=st2['text features'],
                             text_seconds=res2.info['seconds']['text_features'],
                             same_concepts=res2.selections == res.selections)
    reps = res.reps['gradcam'][0]
    uniq = np.unique(reps)
    out['distinct_representative_images'] = int(len(uniq))

    # ---------------------------------------------------------------- the floor: model passes alone
    target = load_target('resnet50', 'random', device=dev)
    enc = OpenClipEncoder.from_pretrained('ViT-B-32', None, device=dev)
    probe = read_probe(probe_dir, progress=False)
    crops = res.crops['gradcam']
    imgs = [load_rgb(probe.path(i)) for i in range(len(probe))]
    floor = {}
    from pytorch_grad_cam import GradCAM
    sizes = [cam_input_size(*resized_size(*im.size)) for im in imgs]
    xs = {}
    for batch in _shape_batches(sizes, 8):
        xs[tuple(batch)] = target.normalize(torch.stack([TF.to_tensor(TF.resize(imgs[i], 256)) for i in batch])).to(dev)
    with GradCAM(model=target.model, target_layers=[get_layer(target.model, target.cam_layer)]) as cam:
        def cam_all():
            for x in xs.values(): cam(input_tensor=x, targets=None)
            sync(dev)
        _, floor['gradcam_pass'] = timed(cam_all)
    del xs
    crops_x = target.normalize(torch.stack([TF.to_tensor(crop_pixels(imgs[i], crops.boxes[i])) for i in range(len(imgs))]))
    def fwd_all():
        with torch.inference_mode():
            for j in range(0, len(crops_x), 64): target.model(crops_x[j:j + 64].to(dev))
        sync(dev)
    _, floor['activation_pass'] = timed(fwd_all)
    clip_x = torch.stack([enc.transform(original_crop(imgs[i], crops.boxes[i])) for i in uniq])
    _, floor['clip_image_pass'] = timed(lambda: [enc.encode_image_tensors(clip_x[j:j + 64]) for j in range(0, len(clip_x), 64)])
    prompts = list(dict.fromkeys(f'A photo of a {w}' for w in words)) + ['A photo of a']
    tok = enc.tokenizer(prompts)
    lens = enc.text_lengths(tok)                      # up to the end-of-text token (id 0 is '!', not padding)
    order = np.argsort(lens, kind='stable')
    batches = [tok[torch.as_tensor(order[j:j + 256])][:, :int(lens[order[j:j + 256]].max())].to(dev) for j in range(0, len(order), 256)]
    def text_all():
        with torch.inference_mode():
            for b in batches: enc.encode_tokens(b)
        sync(dev)
    _, floor['clip_text_pass'] = timed(text_all)
    floor = {k: round(v, 2) for k, v in floor.items()}
    floor['total'] = round(sum(floor.values()), 2)
    out['floor_seconds'] = floor
    out['ratio_to_floor'] = round(out['seconds']['total'] / floor['total'], 3)

    # ---------------------------------------------------------------- text: shortest context vs full context
    rng = np.random.default_rng(0)
    sub = [prompts[i] for i in rng.choice(len(prompts), min(a.text_subset, len(prompts)), replace=False)]
    fast, t_fast = timed(lambda: enc.encode_texts(sub, batch_size=256, progress=False))
    def full():
        with torch.inference_mode():
            return torch.cat([F.normalize(enc.model.encode_text(enc.tokenizer(sub[j:j + 256]).to(dev)).float(), dim=-1).cpu()
                              for j in range(0, len(sub), 256)])
    ref, t_full = timed(full)
    out['text'] = dict(subset=len(sub), shortest_context_seconds=round(t_fast, 2), full_context_seconds=round(t_full, 2),
                       speedup=round(t_full / t_fast, 2), max_abs_diff=float((fast - ref).abs().max()),
                       mean_context=float(lens.mean()), max_context=int(lens.max()))

    # ---------------------------------------------------------------- naive WWW-style pipeline (subsets, extrapolated)
    naive, n_img = {}, min(a.naive_images, len(imgs))
    with GradCAM(model=target.model, target_layers=[get_layer(target.model, target.cam_layer)]) as cam:
        def one_by_one_cam():
            for im in imgs[:n_img]: cam(input_tensor=target.normalize(TF.to_tensor(TF.resize(im, 256))[None].to(dev)), targets=None)
            sync(dev)
        _, t = timed(one_by_one_cam)
    naive['gradcam_pass'] = t / n_img * len(imgs)
    def one_by_one_fwd():
        with torch.inference_mode():
            for i in range(n_img): target.model(target.normalize(TF.to_tensor(crop_pixels(imgs[i], crops.boxes[i]))[None].to(dev)))
        sync(dev)
    _, t = timed(one_by_one_fwd)
    naive['activation_pass'] = t / n_img * len(imgs)
    pairs = [(u, i) for u in range(reps.shape[0]) for i in reps[u]]
    n_pairs = min(a.naive_pairs, len(pairs))
    def per_pair():
        with torch.inference_mode():
            for u, i in pairs[:n_pairs]: enc.model.encode_image(enc.transform(original_crop(imgs[i], crops.boxes[i]))[None].to(dev))
        sync(dev)
    _, t = timed(per_pair)
    naive['clip_image_per_pair'] = t / n_pairs * len(pairs)
    all_prompts = [f'A photo of a {w}' for w in words]
    n_txt = min(a.naive_texts, len(all_prompts))
    def per_text():
        with torch.inference_mode():
            for w in all_prompts[:n_txt]: enc.model.encode_text(enc.tokenizer([w]).to(dev))
        sync(dev)
    _, t = timed(per_text)
    naive['clip_text_full_context_one_by_one'] = t / n_txt * len(all_prompts)
    T = torch.randn(len(all_prompts), 512); T = F.normalize(T, dim=-1); b = F.normalize(torch.randn(1, 512), dim=-1)
    V = F.normalize(torch.randn(n_pairs, 512), dim=-1)
    def per_pair_scores():
        for v in V: (tvmf(cosine(v[None], T), 16) - tvmf(cosine(v[None], b), 16)).numpy()
    _, t = timed(per_pair_scores)
    naive['scores_per_pair'] = t / n_pairs * len(pairs)
    naive = {k: round(v, 2) for k, v in naive.items()}
    naive['total'] = round(sum(naive.values()), 2)
    naive['extrapolated'] = (f'timed on {n_img} images, {n_pairs} (unit, image) pairs and {n_txt} prompts, '
                             f'scaled to {len(imgs)} images, {len(pairs)} pairs and {len(all_prompts)} prompts')
    out['naive_seconds'] = naive
    out['speedup_vs_naive'] = round(naive['total'] / out['seconds']['total'], 2)

    # ---------------------------------------------------------------- autocast: selections against float32
    if not a.skip_amp_compare:
        def changed(x, y):
            sets = lambda r, m: [{j for j, _ in s} for s in r.selections[m]]
            tops = lambda r, m: [s[0][0] if s else None for s in r.selections[m]]
            return {m: dict(selection_changed=sum(p != q for p, q in zip(sets(x, m), sets(y, m))),
                            top_concept_changed=sum(p != q for p, q in zip(tops(x, m), tops(y, m))))
                    for m in x.selections}
        fp32 = res if a.amp is None else run(RunConfig(**dict(cfg, amp=None)), progress=False)['fc']
        amp_out = dict(units=len(fp32.units), against='float32 (no autocast)')
        for amp in ('bf16', 'fp16'):
            if effective_amp(amp, dev) is None:
                amp_out[amp] = f'{amp} autocast does not run on {dev.type} with torch {torch.__version__}'
                continue
            if dev.type == 'cuda' and amp == 'bf16' and not torch.cuda.is_bf16_supported():
                amp_out[amp] = 'this CUDA device has no bf16'
                continue
            r, t = timed(lambda: run(RunConfig(**dict(cfg, amp=amp)), progress=False)['fc'])
            amp_out[amp] = dict(changed(fp32, r), seconds=round(t, 2))
        out['amp_selection_changes'] = amp_out

    if dev.type == 'cuda':   # throughput of the image stages and bf16 against fp32
        n = len(imgs)
        out['gpu'] = dict(card=out['card'], crop_and_activation_images_per_s=round(n / (out['seconds']['crops_gradcam'] + out['seconds']['activations_gradcam']), 1),
                          projected_seconds_50k=round(out['seconds']['total'] / n * 50000, 1))
        with torch.inference_mode():
            f32 = enc.model.encode_image(clip_x[:64].to(dev)).float()
            with torch.autocast('cuda', dtype=torch.bfloat16): bf = enc.model.encode_image(clip_x[:64].to(dev)).float()
        out['gpu']['bf16_vs_fp32_min_cosine'] = float(F.cosine_similarity(f32, bf).min())

    out['soft_wpmi'] = bench_soft_wpmi(len(imgs), len(words), device=dev)
    targets = dict(speedup_vs_naive=out['speedup_vs_naive'] >= 5, ratio_to_floor=out['ratio_to_floor'] <= 1.5,
                   peak_rss=out['peak_rss_gb'] <= 6, text_speedup=out['text']['speedup'] >= 4,
                   text_equal=out['text']['max_abs_diff'] <= 1e-5, warm_text_cache_skips=out['second_run']['text_features'] == 'reused')
    out['targets_met'] = targets
    sys.stderr.write('\n'.join(f'{k}: {"met" if v else "NOT met"}' for k, v in targets.items()) + '\n')
    print(json.dumps(out))


if __name__ == '__main__':
    main()
