"""Checks on the repository itself: the index notebook mirrors the README, notebooks are committed clean."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_index_mirrors_readme():
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))
    md = ''.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')
    assert md.strip() == (ROOT / 'README.md').read_text(encoding='utf-8').strip(), 'run python tools/sync_index.py'


def test_notebooks_have_no_execution_counts():
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb = json.loads(p.read_text(encoding='utf-8'))
        for c in nb['cells']:
            assert c.get('execution_count') is None, f'{p.name} is not clean: run nbdev_clean'
