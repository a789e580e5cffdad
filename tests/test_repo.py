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


def test_every_export_has_its_test_next_to_it():
    "Each exported definition is followed by its own test cell (markdown may come between)."
    lonely = []
    for p in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb')):
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        for i, c in enumerate(cells):
            src = ''.join(c['source'])
            if c['cell_type'] != 'code' or not src.startswith('#| export'): continue
            first = src.split('\n')[1] if '\n' in src else ''
            if first.startswith(('import ', 'from ')): continue   # the module's imports
            j = i + 1
            while j < len(cells) and cells[j]['cell_type'] == 'markdown': j += 1
            nxt = ''.join(cells[j]['source']) if j < len(cells) else ''
            if j >= len(cells) or nxt.startswith(('#| export', '#| hide')): lonely.append(f'{p.name}: {first[:70]}')
    assert not lonely, '\n'.join(lonely)


def test_licence_files():
    "LICENSE is the Apache License 2.0 as apache.org publishes it; NOTICE carries the bundled data's notices."
    import configparser, hashlib
    cfg = configparser.ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    assert cfg['DEFAULT']['license'] == 'apache2'
    text = (ROOT / 'LICENSE').read_bytes()
    assert hashlib.md5(text).hexdigest() == '3b83ef96387f14655fc854ddc3c6bd57', 'not the canonical LICENSE-2.0.txt'
    words = lambda t: ' '.join(t.split())   # the same text, whatever its line breaks
    notice = words((ROOT / 'NOTICE').read_text(encoding='utf-8'))
    data = ROOT / 'neuron_concepts' / 'data' / 'concepts'
    for part in ((data / 'LICENSE-WWW.txt').read_text(encoding='utf-8'),
                 (data / 'LICENSE-WordNet.txt').read_text(encoding='utf-8'),
                 'ImageNet\'s terms of access apply: the images are for non-commercial research and teaching only'):
        assert words(part) in notice, part[:60]
    assert 'Copyright (c) 2024 ailab-kyunghee' in (data / 'LICENSE-WWW.txt').read_text(encoding='utf-8')


def test_library_shape():
    "No library function over 60 lines, no module over 500, none reaching into another's private names."
    import ast, importlib.util

    spec = importlib.util.spec_from_file_location('structure', ROOT / 'tools' / 'structure.py')
    st = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(st)
    files = sorted(f for f in (ROOT / 'neuron_concepts').glob('*.py') if f.name != '_modidx.py')
    modules = {f.stem for f in files}
    long, private, big = [], [], []
    for f in files:
        text = f.read_text(encoding='utf-8')
        tree = ast.parse(text)
        big += [f'{f.name} ({len(text.splitlines())} lines)'] if len(text.splitlines()) > 500 else []
        long += [f'{f.name}:{q} ({n} lines)' for q, n in st.functions(tree) if n > 60]
        private += [f'{f.name}:{ln} {what}' for ln, what in st.private_uses(tree, modules)]
    assert not long, long
    assert not big, big
    assert not private, private
    # the checks themselves: a long function and a private import are found
    fake = ast.parse('from .cache import _x\n\ndef f():\n' + '    a = 1\n' * 61)
    assert st.functions(fake) == [('f', 62)] and st.private_uses(fake, {'cache'}) == [(1, 'from cache import _x')]
