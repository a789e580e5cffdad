"""Build the documentation site from the notebooks, offline: `python tools/build_docs.py OUT` (then open OUT/index.html).

The engine is Sphinx with MyST-NB, the engine of Jupyter Book. Why this one: Sphinx is the best-kept documentation
engine in Python (regular releases, the reference of most scientific libraries), its `autodoc` writes the API
reference from the docstrings of the very package the notebooks export, and MyST-NB renders a notebook's committed
outputs (figures, tables, widgets' text) without executing it; MkDocs, the alternative, is kept up less steadily
and needs a separate plug-in (mkdocstrings) for the API. nbdev's own docs need Quarto, which is not on PyPI.

The site: the README as the home page, every notebook in nbs/ as a page (the lessons first, each with its figures
from the committed outputs, never re-executed), and an API page (`api`) made by autodoc from the docstrings of the
public names and of every module. MathJax is served from the site itself (sphinx-mathjax-offline), so the pages
need no internet either. Needs the `docs` extra: `pip install -e ".[docs]"`.
"""
import argparse, configparser, json, re, shutil, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.stem for p in (ROOT / 'neuron_concepts').glob('*.py')   # the exported modules
                 if not p.stem.startswith('_') and p.stem != 'testing')

CONF = r'''
import re

project = "neuron_concepts"
author = "neuron_concepts developers"
copyright = "2026 onwards, neuron_concepts developers"
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx-mathjax-offline"]
exclude_patterns = ["_build"]
nb_execution_mode = "off"                 # the committed outputs, never re-executed
nb_ipywidgets_js = {}                     # no widget manager from a CDN: widgets show their text form
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"                # signatures show the defaults; docments stay in the source
html_theme = "furo"
html_title = "neuron_concepts"
html_copy_source = False
html_show_sourcelink = False


def markdown_docstring(app, what, name, obj, options, lines):
    "The docstrings are Markdown: `code` becomes a literal, and reST's other markup characters are escaped."
    for i, line in enumerate(lines):
        parts = re.split(r"(`[^`]+`)", line)
        for j, p in enumerate(parts):
            if p[:1] == "`" and len(p) > 2:   # a literal glued to a word ends with an escaped space
                glued = j + 1 < len(parts) and parts[j + 1][:1].isalnum()
                parts[j] = "``" + p[1:-1] + "``" + ("\\ " if glued else "")
            else:
                parts[j] = re.sub(r"([\\*|_])", r"\\\1", p)
        lines[i] = "".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", markdown_docstring)
'''


def lessons(cfg) -> list:
    "The notebooks of nbs/ in the site's order: the lessons (settings.ini's `lessons`, then 03b, 05b), the rest."
    names = sorted(p.stem for p in (ROOT / 'nbs').glob('*.ipynb') if p.stem != 'index' and not p.stem.startswith('_'))
    first = [n for n in names if n[:2].isdigit() and int(n[:2]) < 6]
    return first + [n for n in names if n not in first]


def api_page() -> str:
    "The API reference in MyST: each public name of the package, then each module's documented members."
    import neuron_concepts as nc
    out = ['# API reference', '',
           'Generated from the docstrings. The names a user starts from, all importable from `neuron_concepts`:', '']
    out += [f'* [`{n}`](#neuron_concepts.{n})' for n in nc.__all__]
    out += ['', '## The public names', '']
    for n in nc.__all__:
        kind = 'autoclass' if isinstance(getattr(nc, n), type) else 'autofunction'
        out += ['```{eval-rst}', f'.. {kind}:: neuron_concepts.{n}', '```', '']
    out += ['## The modules', '']
    for m in MODULES:
        out += [f'### `neuron_concepts.{m}`', '', '```{eval-rst}', f'.. automodule:: neuron_concepts.{m}',
                '   :members:', '   :no-index:', '```', '']
    return '\n'.join(out)


def home_page(readme: str, pages: list) -> str:
    "The README as the home page, with the site's table of contents (hidden: the sidebar shows it)."
    toc = ['', '```{toctree}', ':hidden:', ':caption: Lessons and modules', '']
    toc += [f'nbs/{p}' for p in pages] + ['api', '```', '']
    return readme + '\n'.join(toc)


def hidden(cell) -> bool:
    "nbdev's hidden cells (`#| hide`, and the `#| default_exp` line alone) are not shown on the site."
    lines = ''.join(cell['source']).strip().splitlines()
    return cell['cell_type'] == 'code' and bool(lines) and (
        lines[0].replace(' ', '') == '#|hide' or all(l.startswith('#| default_exp') for l in lines))


def page_cell(cell) -> dict:
    "A code cell as the site shows it: without nbdev's `#|` directives (export, slow, ...)."
    if cell['cell_type'] != 'code':
        return cell
    lines = ''.join(cell['source']).splitlines(keepends=True)
    return {**cell, 'source': ''.join(l for l in lines if not l.startswith('#|')).lstrip('\n')}


def stage(src: Path):
    "Write the Sphinx source folder: conf.py, index.md (the README), api.md and the notebooks under nbs/."
    cfg = configparser.ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    pages = lessons(cfg)
    (src / 'nbs').mkdir(parents=True)
    for p in pages:
        nb = json.loads((ROOT / 'nbs' / f'{p}.ipynb').read_text(encoding='utf-8'))
        nb['metadata'].setdefault('kernelspec', {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'})
        nb['cells'] = [page_cell(c) for c in nb['cells'] if not hidden(c)]
        (src / 'nbs' / f'{p}.ipynb').write_text(json.dumps(nb, ensure_ascii=False), encoding='utf-8')
    shutil.copytree(ROOT / 'nbs' / 'images', src / 'nbs' / 'images')   # the README's figures
    (src / 'conf.py').write_text(CONF + f'version = release = {cfg["DEFAULT"]["version"]!r}\n', encoding='utf-8')
    (src / 'index.md').write_text(home_page((ROOT / 'README.md').read_text(encoding='utf-8'), pages),
                                  encoding='utf-8')
    (src / 'api.md').write_text(api_page(), encoding='utf-8')
    return pages


def build(out, quiet: bool = True) -> Path:
    "Build the site into `out` (its home page is out/index.html); return that page."
    from sphinx.cmd.build import build_main
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix='nc-docs-') as tmp:
        src = Path(tmp) / 'src'
        stage(src)
        args = ['-b', 'html', '-E', '-d', str(Path(tmp) / 'doctrees'), str(src), str(out)]
        rc = build_main(args + (['-q'] if quiet else []))
    if rc != 0:
        sys.exit(f'build_docs: sphinx-build failed (exit {rc})')
    return out / 'index.html'


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out', help='output folder (its index.html is the home page)')
    ap.add_argument('--verbose', action='store_true', help="sphinx-build's full output")
    a = ap.parse_args()
    print(f'docs: {build(a.out, quiet=not a.verbose)}')
