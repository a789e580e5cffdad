"""Run every notebook in nbs/ through nbdev's test machinery, one pytest test per notebook."""
import os
from pathlib import Path

import pytest
from nbdev import test as nbdev_test

NBS = Path(__file__).resolve().parent.parent / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    # cells flagged `#| slow` run too unless NEURON_CONCEPTS_SKIP_SLOW is set
    skip = ['slow'] if os.environ.get('NEURON_CONCEPTS_SKIP_SLOW') else []
    ok, secs = nbdev_test.test_nb(nb, skip_flags=skip)
    assert ok, f'{nb.name} failed (see the traceback above)'
