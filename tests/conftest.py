"""Test session set-up: every cache a test could write goes to a temporary folder, never the user's home."""
import os, shutil, subprocess, sys, tempfile
from pathlib import Path

import pytest

_RUN = os.environ.get('PYTEST_XDIST_TESTRUNUID')  # set in each worker of `pytest -n N` (pytest-xdist)
if _RUN:  # the workers share one set of caches, so a stage one of them computed is reused by the others
    _TMP = Path(tempfile.gettempdir()) / f'neuron-concepts-tests-{_RUN[:16]}'
    _TMP.mkdir(mode=0o700, exist_ok=True)
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):  # one torch thread per worker: N workers share the cores
        os.environ[var] = '1'
else:
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


# Headless Chromium for the browser tests (the report, the explorer, the docs site): Debian's `chromium` and
# `chromium-driver`. The test command sets them up itself: installed with apt when missing and allowed (root, or
# sudo without a password), else every browser test fails with one line saying what to install.
BROWSER_PACKAGES = ('chromium', 'chromium-driver')
BROWSER_HINT = 'apt-get install chromium chromium-driver (Debian/Ubuntu; as root)'


def browser_paths() -> tuple:
    "(Chromium, chromedriver) as found on the PATH; None for a missing one."
    return shutil.which('chromium') or shutil.which('chromium-browser'), shutil.which('chromedriver')


def install_browser(run=subprocess.run, euid=None) -> str:
    "Install Chromium and its driver with apt when allowed; '' on success, else the reason in a few words."
    if not shutil.which('apt-get'):
        return 'no apt-get on this machine'
    euid = os.geteuid() if euid is None else euid
    if euid == 0:
        sudo = []
    elif shutil.which('sudo') and run(['sudo', '-n', 'true'], capture_output=True).returncode == 0:
        sudo = ['sudo', '-n']
    else:
        return 'not root, and no sudo without a password'
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update', '-q'],
                ['apt-get', 'install', '-y', '-q', '--no-install-recommends', *BROWSER_PACKAGES]):
        r = run(sudo + cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            lines = [l for l in (r.stderr or r.stdout or '').splitlines() if l.strip()]
            return f'{" ".join(cmd[:2])} failed: {lines[-1] if lines else r.returncode}'
    return ''


@pytest.fixture(scope='session')
def chromium() -> tuple:
    "(Chromium, chromedriver) paths, installed on first use when missing; fails in one line when it cannot."
    paths = browser_paths()
    if not all(paths):
        import fcntl

        with open(Path(tempfile.gettempdir()) / 'neuron-concepts-tests-browser.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time: the workers of `pytest -n N` share apt
            paths, why = browser_paths(), ''
            if not all(paths):
                sys.stderr.write('\ninstalling chromium and chromium-driver for the browser tests (apt-get) ...\n')
                why = install_browser()
                paths = browser_paths()
        if not all(paths):
            pytest.fail(f'the browser tests need Chromium and its driver ({why or "not found after installing"}): '
                        f'{BROWSER_HINT}', pytrace=False)
    return paths


def chrome(paths, size='1280,900'):
    "A headless Chromium driven by Selenium through the given chromedriver (Selenium Manager never downloads)."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
              f'--window-size={size}'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(paths[1]), options=opts)
    d.set_page_load_timeout(120)
    return d


# The order the tests start in. pytest-xdist hands each worker a block of tests in collection order, then tops
# the blocks up from the front of what is left, so the long tests go first and the short ones fill the end.
# The first worker's block starts with the README's demo, which computes the demo's stages into the shared
# cache; the lessons after it in that block reuse them. The second worker's block holds long tests that do
# not need the demo, so that the demo's lessons it takes next find the stages already there.
FIRST = (
    # the first worker's block (11 tests): the demo, then lessons that reuse its stages
    'test_cli.py::test_demo_command',
    'test_notebook[00_crop]',  # opens with the whole game: the demo's run
    'test_notebook[04_eval]',
    'test_notebook[05_ablation]',
    'test_notebook[05b_why]',
    'test_report_browser.py::test_demo_report_in_chromium',
    'test_notebook[06_pipeline]',
    'test_notebook[03_scoring]',
    'test_notebook[07_cli]',
    'test_notebook[06a_config]',
    'test_notebook[index]',
    # the second worker's block (11 tests): long tests that do not need the demo's stages
    'test_kill_resume.py::test_kill_and_resume',
    'test_distributed.py::test_kill_one_process_then_resume',
    'test_distributed.py::test_two_processes_write_the_files_of_one',
    'test_distributed.py::test_a_cache_per_process',
    'test_distributed.py::test_a_process_error_is_one_line',
    'test_notebook[01_activations]',
    'test_readme.py::test_readme_python_example',
    'test_notebook[30_security]',
    'test_notebook[25_tokenizer]',
    'test_notebook[04b_faithfulness]',  # last: its Grad-CAM crops of the bundled images are the demo's
    # then, from the front of what is left: the other long ones, the demo's stages ready by now
    'test_notebook[02_similarity]',
    'test_notebook[26_www_fidelity]',
    'test_ui_explorer.py::test_explorer_in_jupyterlab',
)


def _start_rank(item) -> int:
    "Where `item` starts: its place in FIRST, else after all of them (in collection order: the sort is stable)."
    return next((i for i, name in enumerate(FIRST) if name in item.nodeid), len(FIRST))


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_start_rank)
