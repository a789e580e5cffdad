"""End-to-end benchmark of the pipeline against its floor and against a naive WWW-style pipeline.

Usage:
    python benchmarks/bench_pipeline.py [--probe DIR] [--images 1000] [--concepts wordnet] [--device cpu]

Random-initialised ResNet-50 and CLIP ViT-B/32 (nothing is downloaded), the final layer `fc`, the proposed
method (Grad-CAM crop + t-vMF), k = 40. One process measures, side by side:

* the pipeline (`neuron_concepts.pipeline.run`) on a cold cache, stage by stage, and its peak RSS. An untimed
  run on its own cache (ImageNet's 1,000 class names) comes first, as in a long run: the target model meets
  each input shape once (the sample images come in a few hundred shapes) and its per-shape kernel setup is
  paid then, not in the timed runs or the floor (`warmup_run` has its seconds; `--no-warmup` leaves it out);
* the same run again with the cache warm (the text features must be reused, not recomputed);
* the floor: the unavoidable work, each model pass timed alone in a tight loop on inputs already in memory:
  one inference-mode forward of the target model over the resized images (what Grad-CAM needs at the least),
  one over the crops, the CLIP image tower on the distinct representative images, and the CLIP text tower on
  the concept prompts at their shortest exact context, the tokens the prompts start with encoded once per
  batch, plus the fastest tokenization of the prompts measured (below). `ratio_to_floor` is against it; the old floor, which timed pytorch-grad-cam's own pass (forward and a
  backward through the whole network) instead of the first forward, and the text tower on every token of each
  prompt, is reported too (`old_floor_seconds`, `ratio_to_old_floor`), and `gradcam_over_forward` is the
  pipeline's Grad-CAM stage, which now also runs the activation pass on the crops it cuts, over the two
  inference forwards of the same images (resized images and crops);
* the previous design: the same cold run with Grad-CAM's backward through the whole network, as
  pytorch-grad-cam runs when used as it is, each image decoded again for the activation pass, and every
  token of each prompt through the text tower, and open_clip's own tokenizer (`previous_design`,
  `speedup_vs_previous`; `--skip-previous` leaves it out);
* tokenization apart: every prompt tokenized by open_clip's tokenizer (`text.tokenize_previous_seconds`),
  by it in one worker process per CPU (`text.tokenize_workers_seconds`) and by the fast tokenizer
  (`text.tokenize_seconds`, with building its Rust tokenizer), each from a fresh tokenizer, the ids compared;
  `text.tokenize_speedup` is open_clip's seconds over the fast one's. Then the cold text stage
  (`concept_features` on an empty cache, after an untimed text pass over ImageNet's class names) with the fast
  tokenizer and then with open_clip's: `text.stage_ratio`, and whether the features are the same bits;
* a naive pipeline in WWW's style: one image at a time through Grad-CAM and the model, one CLIP image
  encoding per (unit, image) pair, one prompt at a time at CLIP's full 77-token context, scores per unit and
  image. It is timed on subsets and extrapolated (said so in the JSON);
* text encoding of the concept set at the shortest context, with and without the shared prefix, against
  open_clip's `encode_text` at full context (timed on a random subset, with the maximum absolute difference of
  the features);
* autocast against float32: the pipeline again under bf16 and under fp16 autocast (`amp`; on the CPU too,
  where torch supports it), and how many units' selected concepts change against the float32 run
  (key `amp_selection_changes`; `--skip-amp-compare` leaves it out);
* CLIP-Dissect's soft-WPMI (key `soft_wpmi`): on random activations of 1,000 units over the probe's number of
  images and random unit-norm features of the concept set's size, its seconds and peak RSS, and the ratio to
  the bare image-concept matrix multiply alone (`--only-dissect` measures only this, in seconds).

`--only-text` measures only the tokenization and cold text stage figures (key `text`), in one run.

`--scale` runs the scale series instead (see `scale_series`): synthetic probe folders of 10,000 and 100,000
32 x 32 images, a tiny model with a 2,048-unit layer, Grad-CAM + t-vMF, k = 40; peak RSS and seconds per size,
each size in its own process, and the projection to 1.28M images. It runs on one torch thread with no decoding
workers unless `--threads` and `--workers` say otherwise, and reports each size's CPU seconds beside its wall time.

The last line printed is one JSON object with every figure.
"""
import argparse, json, os, platform, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image

from neuron_concepts.probe import read_probe, load_rgb, decode_workers
from neuron_concepts.loading import load_target
from neuron_concepts.models import get_layer, effective_amp
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


def _open_clip_tokenize(texts: list) -> np.ndarray:
    "open_clip's own CLIP tokenizer (a fresh one) on `texts`, in a worker process."
    import open_clip
    return open_clip.get_tokenizer('ViT-B-32')(texts).numpy()


def tokenize_in_workers(texts: list, workers: int) -> torch.Tensor:
    "open_clip's tokenizer in `workers` new processes, one share of the texts each, joined in order."
    import multiprocessing as mp
    n = -(-len(texts) // workers)
    with mp.get_context('spawn').Pool(workers) as pool:   # forked after torch's threads, workers can hang
        parts = pool.map(_open_clip_tokenize, [texts[j:j + n] for j in range(0, len(texts), n)])
    return torch.from_numpy(np.concatenate(parts))


def bench_tokenize_and_text(words: list, dev, work: Path, workers: int = None, stage: bool = True) -> dict:
    """Tokenizing the concept prompts three ways (open_clip's tokenizer, it in worker processes, the fast one),
    and the cold text stage (`concept_features` on an empty cache) with the fast tokenizer and with open_clip's."""
    import open_clip
    from neuron_concepts.encoders import concept_features, TEMPLATE, BASE_TEMPLATE
    from neuron_concepts.tokenizer import FastClipTokenizer
    texts = [TEMPLATE.format(w) for w in words] + [BASE_TEMPLATE]   # every prompt (the stage tokenizes the distinct)
    workers = workers or os.cpu_count()
    clip_tok = lambda: open_clip.get_tokenizer('ViT-B-32')   # a fresh one each time: no word cached yet
    slow = clip_tok()
    ref, t_slow = timed(lambda: slow(texts))
    fast = FastClipTokenizer(clip_tok())
    got, t_fast = timed(lambda: fast(texts))   # with building its Rust tokenizer on the first call
    par, t_par = timed(lambda: tokenize_in_workers(texts, workers))
    out = dict(prompts=len(texts), distinct_prompts=len(set(texts)), tokenize_seconds=round(t_fast, 3), tokenize_previous_seconds=round(t_slow, 2),
               tokenize_workers_seconds=round(t_par, 2), tokenize_workers=workers,
               tokenize_speedup=round(t_slow / t_fast, 1), tokenize_workers_speedup=round(t_slow / t_par, 2),
               tokenize_same_ids=bool(torch.equal(got, ref)), tokenize_workers_same_ids=bool(torch.equal(par, ref)),
               tokenize_fallbacks=fast.fallbacks, tokenize_fastest_seconds=round(min(t_fast, t_par, t_slow), 3))
    sys.stderr.write(json.dumps(out) + '\n')
    if not stage:
        return out
    enc = OpenClipEncoder.from_pretrained('ViT-B-32', None, device=dev)
    concept_features(enc, load_concepts('imagenet').words, progress=False)   # untimed: the text tower's first run
    enc.tokenizer = FastClipTokenizer(clip_tok())
    new, t_stage = timed(lambda: concept_features(enc, words, cache_dir=work / 'cache-text', progress=False))
    enc.tokenizer = clip_tok()   # the previous path: the same stage with open_clip's tokenizer
    old, t_prev = timed(lambda: concept_features(enc, words, cache_dir=work / 'cache-text-previous', progress=False))
    return dict(out, stage_seconds=round(t_stage, 2), stage_previous_seconds=round(t_prev, 2),
                stage_ratio=round(t_stage / t_prev, 3),
                stage_same_features=bool(torch.equal(new[0], old[0]) and torch.equal(new[1], old[1])))


def concepts_of(r) -> dict:
    "Per method, per unit: the selected concepts in order, without their scores."
    return {m: [[j for j, _ in s] for s in sel] for m, sel in r.selections.items()}


def changed(x, y) -> dict:
    "Per method: how many units' selected concepts (as a set), and how many units' top concept, differ."
    sets = lambda r, m: [{j for j, _ in s} for s in r.selections[m]]
    tops = lambda r, m: [s[0][0] if s else None for s in r.selections[m]]
    return {m: dict(selection_changed=sum(p != q for p, q in zip(sets(x, m), sets(y, m))),
                    top_concept_changed=sum(p != q for p, q in zip(tops(x, m), tops(y, m))))
            for m in x.selections}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--probe', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'imagenet-samples'))
    ap.add_argument('--images', type=int, default=1000)
    ap.add_argument('--concepts', default='wordnet')
    ap.add_argument('--k', type=int, default=40)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--workers', type=int, default=None,
                    help="image-decoding worker processes (default: the pipeline's, up to 4 on a GPU and none on the "
                         'CPU, where workers would only compete with the model for the cores)')
    ap.add_argument('--threads', type=int, default=None,
                    help="torch's intra-op threads (default: torch's; 1 for --scale: on 2 cores shared with a busy "
                         'process, two threads that wait for each other made a run 3x slower than one thread; on a '
                         'lightly loaded machine one thread took 3.0 s for a chunk of 1,024 images, two 2.2 s)')
    ap.add_argument('--amp', nargs='?', const='bf16', default=None, choices=('bf16', 'fp16'),
                    help='autocast of the timed runs (a bare --amp is bf16); see also amp_selection_changes')
    ap.add_argument('--skip-amp-compare', action='store_true',
                    help='do not rerun the pipeline under bf16 and fp16 to count the selections that change')
    ap.add_argument('--naive-images', type=int, default=24, help='images timed in the naive per-image passes')
    ap.add_argument('--naive-pairs', type=int, default=48, help='(unit, image) CLIP encodings timed in the naive pipeline')
    ap.add_argument('--naive-texts', type=int, default=256, help='prompts timed one at a time at full context')
    ap.add_argument('--text-subset', type=int, default=2048, help='prompts for the full-context text comparison')
    ap.add_argument('--cam-batch-size', type=int, default=None,
                    help='images per Grad-CAM batch (default: 8 on the CPU, 64 on a GPU, where the head-only backward '
                         'leaves the memory for it)')
    ap.add_argument('--no-warmup', action='store_true', help='no untimed run before the timed ones')
    ap.add_argument('--skip-previous', action='store_true',
                    help='do not time the previous design (Grad-CAM backward through the whole network) cold')
    ap.add_argument('--work', default=None, help='folder for the probe subset and caches (default: a temporary one)')
    ap.add_argument('--only-dissect', action='store_true', help='measure only soft-WPMI (random inputs; key soft_wpmi)')
    ap.add_argument('--only-text', action='store_true',
                    help='measure only tokenization and the cold text stage, fast against previous (key text)')
    ap.add_argument('--skip-text-stage', action='store_true', help='with --only-text: tokenization alone')
    ap.add_argument('--scale', action='store_true', help='run the scale series instead (see scale_series)')
    ap.add_argument('--scale-sizes', default='10000,100000', help='probe-set sizes of the scale series')
    ap.add_argument('--scale-one', type=int, default=None, help=argparse.SUPPRESS)  # one size, in a child
    a = ap.parse_args()
    if a.workers is None:
        a.workers = 0 if (a.scale or a.scale_one) else decode_workers(None, a.device)
    if a.threads is None and (a.scale or a.scale_one):
        a.threads = 1
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.only_dissect:
        n = min(a.images, sum(p.suffix.lower() in ('.jpeg', '.jpg', '.png') for p in Path(a.probe).iterdir()))
        print(json.dumps(dict(soft_wpmi=bench_soft_wpmi(n, len(load_concepts(a.concepts).words), device=a.device),
                              concept_set=a.concepts, device=a.device, threads=torch.get_num_threads())))
        return
    if a.scale or a.scale_one:
        return scale_series(a)
    if a.only_text:
        torch.manual_seed(0)
        text = bench_tokenize_and_text(load_concepts(a.concepts).words, torch.device(a.device),
                                       Path(a.work or tempfile.mkdtemp(prefix='nc-bench-text-')),
                                       stage=not a.skip_text_stage)
        targets = dict(tokenize_speedup=text['tokenize_speedup'] >= 10,
                       same_ids=text['tokenize_same_ids'] and text['tokenize_workers_same_ids'])
        if 'stage_ratio' in text:
            targets.update(stage_ratio=text['stage_ratio'] <= 0.8, same_features=text['stage_same_features'])
        sys.stderr.write('\n'.join(f'{k}: {"met" if v else "NOT met"}' for k, v in targets.items()) + '\n')
        print(json.dumps(dict(text=text, concept_set=a.concepts, device=a.device, torch=torch.__version__,
                              threads=torch.get_num_threads(), machine=f'{platform.machine()}, {os.cpu_count()} cpus',
                              targets_met=targets)))
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
               cache_dir=str(work / 'cache'), batch_size=64,
               cam_batch_size=a.cam_batch_size or (64 if dev.type == 'cuda' else 8))
    if not a.no_warmup:   # the steady state of a large probe set: CUDA kernels, cuDNN plans and oneDNN primitives
        # are set up once per input shape (ImageNet's images come in a few hundred shapes), so one untimed run first,
        # on its own cache
        w, t_w = timed(lambda: run(RunConfig(**dict(cfg, concepts='imagenet', cache_dir=str(work / 'cache-warmup'))),
                                   progress=False)['fc'])
        out['warmup_run'] = dict(concepts='imagenet', seconds=round(t_w, 2), crops_gradcam=w.info['seconds']['crops_gradcam'])
    res, total = timed(lambda: run(RunConfig(**cfg), progress=False)['fc'])
    out['seconds'] = {k: v for k, v in res.info['seconds'].items() if k != 'total'}
    out['seconds']['total'] = round(total, 2)
    out['peak_rss_gb'] = round(max(rss_gb(), rss_gb(resource.RUSAGE_CHILDREN)), 3)
    res2, total2 = timed(lambda: run(RunConfig(**cfg), progress=False)['fc'])
    st2 = dict(res2.info['stages'])
    out['second_run'] = dict(seconds=round(total2, 2), text_features=st2['text features'],
                             text_seconds=res2.info['seconds']['text_features'],
                             same_concepts=res2.selections == res.selections)
    if not a.skip_previous:   # the previous design: pytorch-grad-cam's backward through the whole network
        import contextlib, unittest.mock
        from neuron_concepts.crop import gradcam_crops
        from neuron_concepts.activations import record_activations

        def two_passes(probe, target, layers, reduce, tokens, cam_target, cam_layer, cam_batch_size=8, batch_size=64,
                       num_workers=0, amp=None, progress=True):   # each image decoded for each pass
            c = gradcam_crops(probe, target, cam_target, cam_layer, cam_batch_size, num_workers, progress=progress)
            return c, record_activations(probe, target, c, layers, reduce, tokens, batch_size, num_workers, amp, progress)

        with unittest.mock.patch('neuron_concepts.crop.graph_cut', lambda *a: contextlib.nullcontext()), \
                unittest.mock.patch('neuron_concepts.stages.record_gradcam_activations', two_passes), \
                unittest.mock.patch.object(OpenClipEncoder, 'share_prefix', False), \
                unittest.mock.patch('neuron_concepts.encoders.fast_tokenizer', lambda tok: tok):
            prev, t_prev = timed(lambda: run(RunConfig(**dict(cfg, cache_dir=str(work / 'cache-previous'))),
                                             progress=False)['fc'])
        out['previous_design'] = dict(seconds=round(t_prev, 2), crops_gradcam=prev.info['seconds']['crops_gradcam'],
                                      same_concepts=concepts_of(prev) == concepts_of(res),
                                      same_scores=prev.selections == res.selections, **changed(res, prev))
        out['speedup_vs_previous'] = round(t_prev / total, 3)
    reps = res.reps['gradcam'][0]
    uniq = np.unique(reps)
    out['distinct_representative_images'] = int(len(uniq))

    # ---------------------------------------------------------------- tokenizing, and the cold text stage, two ways
    text_cold = bench_tokenize_and_text(words, dev, work)

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
        _, old_gradcam = timed(cam_all)
    def fwd_resized():
        with torch.inference_mode():
            for x in xs.values(): target.model(x)
        sync(dev)
    _, floor['forward_resized'] = timed(fwd_resized)
    del xs
    crops_x = target.normalize(torch.stack([TF.to_tensor(crop_pixels(imgs[i], crops.boxes[i])) for i in range(len(imgs))]))
    def fwd_all():
        with torch.inference_mode():
            for j in range(0, len(crops_x), 64): target.model(crops_x[j:j + 64].to(dev))
        sync(dev)
    _, floor['forward_crops'] = timed(fwd_all)
    clip_x = torch.stack([enc.transform(original_crop(imgs[i], crops.boxes[i])) for i in uniq])
    _, floor['clip_image_pass'] = timed(lambda: [enc.encode_image_tensors(clip_x[j:j + 64]) for j in range(0, len(clip_x), 64)])
    prompts = list(dict.fromkeys(f'A photo of a {w}' for w in words)) + ['A photo of a']
    tok = enc.tokenizer(prompts)
    lens = enc.text_lengths(tok)                      # up to the end-of-text token (id 0 is '!', not padding)
    order = np.argsort(lens, kind='stable')
    batches = [tok[torch.as_tensor(order[j:j + 256])][:, :int(lens[order[j:j + 256]].max())].to(dev) for j in range(0, len(order), 256)]
    def text_all(encode):
        with torch.inference_mode():
            for b in batches: encode(b)
        sync(dev)
    _, floor['clip_text_pass'] = timed(lambda: text_all(enc.encode_tokens_shared))
    floor['tokenize'] = text_cold['tokenize_fastest_seconds']   # the fastest of the three tokenizations measured
    _, old_text = timed(lambda: text_all(enc.encode_tokens))
    old_floor = dict(gradcam_pass=old_gradcam,
                     **{k: v for k, v in floor.items() if k not in ('forward_resized', 'clip_text_pass', 'tokenize')},
                     clip_text_pass=old_text)
    floor, old_floor = ({k: round(v, 2) for k, v in f.items()} for f in (floor, old_floor))
    for f in (floor, old_floor): f['total'] = round(sum(f.values()), 2)
    out['floor_seconds'], out['old_floor_seconds'] = floor, old_floor
    out['ratio_to_floor'] = round(out['seconds']['total'] / floor['total'], 3)
    out['ratio_to_old_floor'] = round(out['seconds']['total'] / old_floor['total'], 3)
    # the Grad-CAM stage carries the activation pass of its crops (each image decoded once for both): against the
    # two inference forwards of the same images
    cam_stage = out['seconds']['crops_gradcam'] + out['seconds']['activations_gradcam']
    out['gradcam_over_forward'] = round(cam_stage / (floor['forward_resized'] + floor['forward_crops']), 3)
    if 'warmup_run' in out:   # the same stage in the process's first run, kernels set up as each shape comes
        out['warmup_run']['gradcam_over_forward'] = round(
            out['warmup_run']['crops_gradcam'] / (floor['forward_resized'] + floor['forward_crops']), 3)

    # ---------------------------------------------------------------- text: shortest context vs full context
    rng = np.random.default_rng(0)
    sub = [prompts[i] for i in rng.choice(len(prompts), min(a.text_subset, len(prompts)), replace=False)]
    fast, t_fast = timed(lambda: enc.encode_texts(sub, batch_size=256, progress=False))
    plain, t_plain = timed(lambda: enc.encode_texts(sub, batch_size=256, progress=False, share_prefix=False))
    def full():
        with torch.inference_mode():
            return torch.cat([F.normalize(enc.model.encode_text(enc.tokenizer(sub[j:j + 256]).to(dev)).float(), dim=-1).cpu()
                              for j in range(0, len(sub), 256)])
    ref, t_full = timed(full)
    out['text'] = dict(subset=len(sub), shared_prefix_seconds=round(t_fast, 2), shortest_context_seconds=round(t_plain, 2),
                       full_context_seconds=round(t_full, 2), speedup=round(t_full / t_fast, 2),
                       shared_prefix_speedup=round(t_plain / t_fast, 2), max_abs_diff=float((fast - ref).abs().max()),
                       max_abs_diff_shortest_context=float((plain - ref).abs().max()),
                       mean_context=float(lens.mean()), max_context=int(lens.max()), **text_cold)

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

    if dev.type == 'cuda':   # throughput of each stage, and the projection to ImageNet-val's 50,000 images
        n, s = len(imgs), out['seconds']
        units = int(res.reps['gradcam'][0].shape[0])
        rate = dict(crops_gradcam=n / s['crops_gradcam'], activations_gradcam=n / s['activations_gradcam'],
                    image_features_gradcam=len(uniq) / s['image_features_gradcam'],   # distinct images encoded
                    text_features=len(prompts) / max(s['text_features'], 1e-9))      # prompts encoded
        crop_act = (s['crops_gradcam'] + s['activations_gradcam']) / n * 50000
        distinct_50k = min(units * a.k, 50000)   # at most k distinct images per unit
        out['gpu'] = dict(card=out['card'], images_per_s={k: round(v, 1) for k, v in rate.items()},
                          crop_and_activation_seconds_50k=round(crop_act, 1),
                          crop_and_activation_50k_within_3_min=crop_act <= 180,
                          projected_seconds_50k=round(crop_act + distinct_50k / rate['image_features_gradcam']
                                                      + s['text_features'] + s['load_encoder'] + s['scores'], 1),
                          projection='crops and activations scale with the images, image features with the distinct '
                                     f'representative images (at most units x k = {units * a.k}), text and scores '
                                     'stay as measured')
        with torch.inference_mode():
            f32 = enc.model.encode_image(clip_x[:64].to(dev)).float()
            with torch.autocast('cuda', dtype=torch.bfloat16): bf = enc.model.encode_image(clip_x[:64].to(dev)).float()
        out['gpu']['bf16_vs_fp32_min_cosine'] = float(F.cosine_similarity(f32, bf).min())

    out['soft_wpmi'] = bench_soft_wpmi(len(imgs), len(words), device=dev)
    targets = dict(speedup_vs_naive=out['speedup_vs_naive'] >= 5, ratio_to_floor=out['ratio_to_floor'] <= 1.2,
                   gradcam_over_forward=out['gradcam_over_forward'] <= 1.3,
                   **({'speedup_vs_previous': out['speedup_vs_previous'] >= 1.5} if 'speedup_vs_previous' in out else {}),
                   peak_rss=out['peak_rss_gb'] <= 6, text_speedup=out['text']['speedup'] >= 4,
                   text_equal=out['text']['max_abs_diff'] <= 1e-5, warm_text_cache_skips=out['second_run']['text_features'] == 'reused',
                   tokenize_speedup=text_cold['tokenize_speedup'] >= 10, text_stage_ratio=text_cold['stage_ratio'] <= 0.8,
                   tokenize_same_ids=text_cold['tokenize_same_ids'])
    out['targets_met'] = targets
    sys.stderr.write('\n'.join(f'{k}: {"met" if v else "NOT met"}' for k, v in targets.items()) + '\n')
    print(json.dumps(out))



# ---------------------------------------------------------------- scale series (--scale)
class ScaleNet(torch.nn.Module):
    "A tiny classifier whose `features` layer has 2,048 units (the width of ResNet-50's layer4)."

    def __init__(self, units: int = 2048, classes: int = 10):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, stride=4, padding=1), torch.nn.ReLU(),
                                            torch.nn.Conv2d(16, units, 1), torch.nn.ReLU())
        self.head = torch.nn.Linear(units, classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def make_scale_probe(d: Path, n: int, seed: int = 0) -> Path:
    "A folder of `n` random 32 x 32 images (PNG and JPEG in turn), 1,000 per sub-folder; kept for reruns."
    d = Path(d)
    if (d / 'complete').exists() and (d / 'complete').read_text() == str(n):
        return d
    rng = np.random.default_rng(seed)
    for j in range(n):
        sub = d / f'{j // 1000:04d}'
        sub.mkdir(parents=True, exist_ok=True)
        im = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
        if j % 2:
            im.save(sub / f'{j:07d}.png')
        else:
            im.save(sub / f'{j:07d}.jpg', quality=90)
    (d / 'complete').write_text(str(n))
    return d


def scale_one(n: int, work: Path, a) -> dict:
    "One size of the scale series, run in its own process (its peak RSS is read by the parent)."
    from neuron_concepts.models import wrap_model
    t = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = ScaleNet().eval()
    target = wrap_model(net, resize=32, crop=32, tag='scale-net-seed0', name='scale-net')
    cfg = RunConfig(probe=str(work / f'probe-{n}'), model=target, layers=('features',), encoder='tiny-clip',
                    concepts='broden', methods=('gradcam-tvmf',), k=a.k, device=a.device, workers=a.workers,
                    cache_dir=str(work / f'cache-{n}'), batch_size=256, cam_batch_size=64)
    res = run(cfg, progress=False)['features']
    chunk_bytes = sum(p.path.stat().st_size for p in res.acts['gradcam'].parts)
    return dict(images=len(res.probe), units=len(res.units), seconds=round(time.perf_counter() - t, 2),
                stages={k: v for k, v in res.info['seconds'].items() if k != 'total'},
                activation_bytes_on_disk=chunk_bytes)


def scale_series(a) -> dict:
    "Peak RSS and seconds of a run per probe-set size, each size in a child process, and the 1.28M projection."
    work = Path(a.work or tempfile.mkdtemp(prefix='nc-scale-'))
    if a.scale_one:
        print(json.dumps(scale_one(a.scale_one, work, a)))
        return
    rows, detail = [], []
    for n in [int(x) for x in a.scale_sizes.split(',')]:
        t = time.perf_counter()
        make_scale_probe(work / f'probe-{n}', n)
        made = round(time.perf_counter() - t, 1)
        shutil.rmtree(work / f'cache-{n}', ignore_errors=True)   # a cold cache for every size
        p = subprocess.Popen([sys.executable, __file__, '--scale-one', str(n), '--work', str(work), '--device',
                              a.device, '--workers', str(a.workers), '--k', str(a.k),
                              '--threads', str(a.threads)], stdout=subprocess.PIPE, text=True)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)   # this child's own peak RSS (KiB on Linux)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            sys.exit(f'scale series: the run of {n} images failed (exit {p.returncode})')
        got = json.loads(out.strip().splitlines()[-1])
        rows.append(dict(images=got['images'], peak_rss_gb=round(usage.ru_maxrss / 1024 ** 2, 3), seconds=got['seconds'],
                         cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2)))   # cpu >> wall x threads: contended
        detail.append(dict(images=n, probe_generation_seconds=made, stages=got['stages'],
                           activation_bytes_on_disk=got['activation_bytes_on_disk']))
        shutil.rmtree(work / f'cache-{n}', ignore_errors=True)
        sys.stderr.write(f'scale: {json.dumps(rows[-1])} {json.dumps(detail[-1])}\n')
    lo, hi, big = rows[0], rows[-1], 1_281_167
    per_image = [r['seconds'] / r['images'] for r in rows]
    rss_slope = max(hi['peak_rss_gb'] - lo['peak_rss_gb'], 0) / max(hi['images'] - lo['images'], 1)  # never < 0
    out = dict(
        scale=rows, scale_detail=detail, device=a.device, machine=f'{platform.machine()}, {os.cpu_count()} cpus',
        workers=a.workers, threads=torch.get_num_threads(),
        setup='ScaleNet (2,048-unit layer `features`, random init) + tiny-clip (random), broden concepts, '
              f'gradcam-tvmf, k = {a.k}, 32 x 32 images (PNG and JPEG), chunk 1024',
        rss_ratio=round(hi['peak_rss_gb'] / lo['peak_rss_gb'], 3),
        seconds_per_image=[round(x * 1000, 3) for x in per_image], seconds_per_image_unit='ms',
        time_per_image_ratio=round(max(per_image) / min(per_image), 3),
        projection_1_28m=dict(images=big, seconds=round(per_image[-1] * big), hours=round(per_image[-1] * big / 3600, 2),
                              peak_rss_gb=round(hi['peak_rss_gb'] + rss_slope * (big - hi['images']), 3),
                              activation_gb_on_disk=round(detail[-1]['activation_bytes_on_disk'] / hi['images'] * big / 1e9, 2),
                              how='seconds: the largest size\'s time per image; RSS: linear in images from the two sizes (flat if it fell)'))
    out['targets_met'] = dict(peak_rss=out['rss_ratio'] <= 1.2, time_per_image_flat=out['time_per_image_ratio'] <= 1.2)
    sys.stderr.write('\n'.join(f'{k}: {"met" if v else "NOT met"}' for k, v in out['targets_met'].items()) + '\n')
    print(json.dumps(out))
    return out


if __name__ == '__main__':
    main()
