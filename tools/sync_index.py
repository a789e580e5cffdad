"""Write nbs/index.ipynb (the nbdev index notebook) from README.md, so the two never drift apart.

Usage: python tools/sync_index.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def index_notebook(readme: str) -> dict:
    "A notebook holding the README as one markdown cell."
    return {'cells': [{'cell_type': 'markdown', 'metadata': {}, 'source': readme.splitlines(keepends=True)}],
            'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 4}


if __name__ == '__main__':
    nb = index_notebook((ROOT / 'README.md').read_text(encoding='utf-8'))
    (ROOT / 'nbs' / 'index.ipynb').write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
