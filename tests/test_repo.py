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


def _code_cells():
    import io, tokenize
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb = json.loads(p.read_text(encoding='utf-8'))
        for c in nb['cells']:
            if c['cell_type'] == 'code': yield p.name, ''.join(c['source'])


def test_notebook_code_style():
    "Lesson cells read well: lines of at most 110 characters, one statement per line (no `;` chains)."
    import io, tokenize
    bad = []
    for name, src in _code_cells():
        bad += [f'{name}: {len(l)} characters: {l[:60]}...' for l in src.splitlines() if len(l) > 110]
        try: toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, SyntaxError): continue
        bad += [f'{name}: `;` on line {t.start[0]} of a cell: {t.line.strip()[:60]}' for t in toks
                if t.type == tokenize.OP and t.string == ';']
    assert not bad, '\n'.join(bad[:40])


def test_committed_figures_are_small():
    "Every figure committed in a notebook is at most about 300 KB."
    import base64
    big = []
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for c in json.loads(p.read_text(encoding='utf-8'))['cells']:
            for o in c.get('outputs', []):
                for mime, data in o.get('data', {}).items():
                    if mime.startswith('image/') and not mime.endswith('svg+xml'):
                        kb = len(base64.b64decode(''.join(data))) / 1024
                        if kb > 310: big.append(f'{p.name}: {mime} of {kb:.0f} KB')
    assert not big, '\n'.join(big)
