"""Run every notebook in nbs/ through nbdev's test machinery, one pytest test per notebook.

In the fast tier (`-m "not slow"`) the cells flagged `#| slow` are skipped; the full suite runs them all."""
from pathlib import Path

import pytest
from nbdev import test as nbdev_test

NBS = Path(__file__).resolve().parent.parent / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb, fast_tier):
    ok, secs = nbdev_test.test_nb(nb, skip_flags=['slow'] if fast_tier else [])
    assert ok, f'{nb.name} failed (see the traceback above)'
