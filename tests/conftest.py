"""Test session set-up: every cache a test could write goes to a temporary folder, never the user's home."""
import os, tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix='neuron-concepts-tests-'))
for var, sub in (('NEURON_CONCEPTS_CACHE', 'cache'), ('XDG_CACHE_HOME', 'xdg-cache'), ('TORCH_HOME', 'torch'),
                 ('HF_HOME', 'hf'), ('MPLCONFIGDIR', 'matplotlib')):
    os.environ[var] = str(_TMP / sub)   # set at import, so subprocesses and in-process notebooks inherit it
if os.environ.get('NEURON_CONCEPTS_TEST_CACHE'):   # a developer's own scratch cache, to rerun the suite warm
    os.environ['NEURON_CONCEPTS_CACHE'] = os.environ['NEURON_CONCEPTS_TEST_CACHE']
os.environ.setdefault('HF_HUB_OFFLINE', '1')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: the full suite only (deselect with -m "not slow")')


@pytest.fixture(scope='session')
def fast_tier(request) -> bool:
    "True when the run deselects slow tests (`-m \"not slow\"`): notebooks then skip their `#| slow` cells."
    return 'not slow' in (request.config.getoption('-m') or '')
