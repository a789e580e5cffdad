"""Hit rate of the offline preset on a labelled probe set (default: the 1,000 ImageNet sample images).

Usage: python benchmarks/hit_rate.py [--probe DIR] [--out DIR] [--k 1]

Runs `neuron-concepts run` with the demo preset (EfficientNet-Lite0, its final layer, the ConSE stand-in
encoder, ImageNet concepts, all four methods) on every unit, then `neuron-concepts evaluate`, and prints each
method's hit rate: the share of units with a selected concept equal to one of their class's names.
"""
import argparse, json, subprocess, sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument('--probe', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'imagenet-samples'))
ap.add_argument('--out', default='bench-out/hit-rate')
ap.add_argument('--k', default='1')
ap.add_argument('--workers', default='2')
a = ap.parse_args()
run = ['neuron-concepts', 'run', '--probe', a.probe, '--model', 'efficientnet-lite0', '--encoder', 'conse-lite2-minilm',
       '--concepts', 'imagenet', '--method', 'all', '--k', a.k, '--units', 'all', '--workers', a.workers, '--quiet', '--out', a.out]
subprocess.run(run, check=True)
subprocess.run(['neuron-concepts', 'evaluate', a.out, '--clip-text', 'all-MiniLM-L6-v2', '--mpnet', 'all-MiniLM-L6-v2'], check=True)
m = json.loads((Path(a.out) / 'metrics.json').read_text())
res = {k: round(v['hit_rate']['mean'], 2) for k, v in m.items() if not k.startswith('_')}
print(json.dumps(dict(units=m['_about']['units'], k=int(a.k), hit_rate=res)))
sys.exit(0)
