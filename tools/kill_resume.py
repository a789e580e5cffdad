"""Kill `neuron-concepts run` with SIGKILL at several moments, resume it, and check that the resumed run's
concepts.csv and examples.csv are byte for byte those of an uninterrupted run.

Usage: python tools/kill_resume.py [WORK_DIR]      (exit status 0 when every kill point passes)

Tiny random-initialised models on generated images keep each run to seconds; the chunk size is small so
that the long stages are made of several checkpointed chunks, as they are on 50,000 images.
"""
import os, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
from PIL import Image

ARGS = ['--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden', '--method', 'all', '--k', '3',
        '--units', '0-19', '--chunk', '8', '--batch-size', '4', '--quiet', '--workers', '0', '--no-report']
# (what, trigger): a file pattern in the cache folder whose appearance triggers the kill, or a delay in seconds
KILL_POINTS = [('half a second in', 0.5), ('first Grad-CAM chunk saved', 'crops-*.part0.pt'),
               ('activations half done', 'activations-*.part3.pt'), ('first image features saved', 'image_features-*.r*.pt'),
               ('text features saved', 'text-*.pt'), ('first selection saved', 'selection-*.pt')]


def make_probe(d: Path, n: int = 40):
    rng = np.random.default_rng(7)
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        h, w = int(rng.integers(200, 400)), int(rng.integers(200, 400))
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(d / f'img{i:03d}.png')
    (d / 'broken.jpg').write_bytes(b'\xff\xd8\xff' + bytes(100))


def command(probe, out, cache):
    return ['neuron-concepts', 'run', '--probe', str(probe), '--out', str(out), '--cache-dir', str(cache), *ARGS]


def run_to_end(probe, out, cache):
    r = subprocess.run(command(probe, out, cache), capture_output=True, text=True, timeout=900)
    if r.returncode != 0: raise RuntimeError(f'run failed:\n{r.stderr}')
    return r


def kill_at(probe, out, cache, trigger) -> bool:
    "Start a run, SIGKILL it when `trigger` happens; True if it was still running when killed."
    p = subprocess.Popen(command(probe, out, cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 600:
        if isinstance(trigger, float) and time.time() - t0 >= trigger: break
        if isinstance(trigger, str) and cache.exists() and any(cache.glob(trigger)): break
        time.sleep(0.02)
    alive = p.poll() is None
    if alive: p.send_signal(signal.SIGKILL)
    p.wait()
    return alive


def main(work=None) -> bool:
    work = Path(work or tempfile.mkdtemp(prefix='kill-resume-'))
    probe = work / 'probe'
    make_probe(probe)
    run_to_end(probe, work / 'ref', work / 'cache-ref')
    ref = {f: (work / 'ref' / f).read_bytes() for f in ('concepts.csv', 'examples.csv')}
    ok = True
    for what, trigger in KILL_POINTS:
        out, cache = work / f'out-{len(what)}', work / f'cache-{len(what)}'
        shutil.rmtree(out, ignore_errors=True); shutil.rmtree(cache, ignore_errors=True)
        killed = kill_at(probe, out, cache, trigger)
        r = run_to_end(probe, out, cache)
        same = all((out / f).read_bytes() == b for f, b in ref.items())
        resumed = [l for l in r.stdout.splitlines() if 'reused' in l or 'resumed' in l]
        ok &= same
        print(f'{"ok  " if same else "FAIL"} killed {"mid-run" if killed else "after the end"} at: {what}; '
              f'resumed run {"equals" if same else "DIFFERS FROM"} the uninterrupted one'
              + (f' ({resumed[0].strip()})' if resumed else ''), flush=True)
    return ok


if __name__ == '__main__':
    sys.exit(0 if main(sys.argv[1] if len(sys.argv) > 1 else None) else 1)
