"""The redesign of the run into stages changed no output: a tiny multi-layer run writes what it wrote before.

`tests/data/tiny-run/` holds concepts.csv, examples.csv and crops.csv of the run below, written by the
pipeline before its stages were rebuilt. The same run now must give the same units, ranks, concepts, images
and crop boxes, and the same scores and activations to float32 rounding (six digits)."""
import csv, os, subprocess, sys
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parent / 'data' / 'tiny-run'
OPTS = ['--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden', '--layer', 'layer3,layer4,fc',
        '--method', 'www,gradcam,tvmf,gradcam-tvmf,soft-wpmi,wpmi', '--k', '3', '--units', '0-19', '--chunk', '8',
        '--batch-size', '4', '--quiet', '--workers', '0', '--no-report']


def probe_folder(d: Path) -> Path:
    "The 40 random images (and one broken file) the reference run explained."
    rng = np.random.default_rng(3)
    d.mkdir()
    for i in range(40):
        h, w = int(rng.integers(120, 300)), int(rng.integers(120, 300))
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(d / f'img{i:03d}.png')
    (d / 'broken.jpg').write_bytes(b'\xff\xd8\xff' + bytes(100))
    return d


def rows(path: Path) -> list:
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.reader(f))


def test_tiny_multilayer_run_writes_what_it_wrote(tmp_path):
    probe, out = probe_folder(tmp_path / 'probe'), tmp_path / 'out'
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-m', 'neuron_concepts', 'run', '--probe', str(probe), '--out', str(out),
                        '--cache-dir', str(tmp_path / 'cache'), *OPTS], capture_output=True, text=True, env=env,
                       timeout=900)
    assert r.returncode == 0, r.stderr
    assert rows(out / 'crops.csv') == rows(DATA / 'crops.csv')  # the same boxes of the same images
    for name in ('concepts.csv', 'examples.csv'):  # the last column is a score or an activation
        got, want = rows(out / name), rows(DATA / name)
        assert got[0] == want[0] and len(got) == len(want), name
        assert [g[:-1] for g in got[1:]] == [w[:-1] for w in want[1:]], name
        g, w = np.array([float(g[-1]) for g in got[1:]]), np.array([float(w[-1]) for w in want[1:]])
        # float32 rounding, which differs between CPUs (their vectorised exp and log): 1e-6 of the value, and
        # for (soft-)WPMI 1e-4: its score is a difference of sums of 100 float32 logs near -70 each
        pmi = np.array([r[0] in ('soft-wpmi', 'wpmi') for r in want[1:]]) if name == 'concepts.csv' else False
        tol = np.where(pmi, 1e-4, 2e-6 + 1e-6 * np.abs(w))
        assert (np.abs(g - w) <= tol).all(), (name, np.abs(g - w).max())
