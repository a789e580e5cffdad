"""Write nbs/index.ipynb (the nbdev index notebook) from README.md, so the two never drift apart.

Usage: python tools/sync_index.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def index_notebook(readme: str) -> dict:
    "A notebook holding the README as one markdown cell, as `nbdev_clean` leaves it (a fixed cell id)."
    cell = {'cell_type': 'markdown', 'id': 'f6095d57', 'metadata': {}, 'source': readme.splitlines(keepends=True)}
    return {'cells': [cell],
            'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}


if __name__ == '__main__':
    nb = index_notebook((ROOT / 'README.md').read_text(encoding='utf-8'))
    (ROOT / 'nbs' / 'index.ipynb').write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
