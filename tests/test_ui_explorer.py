"""The explorer in a real front end: JupyterLab on the loopback address, the ablation lesson, headless Chromium.

The test writes the teacher's copies of the lessons (`write_lessons`), starts JupyterLab with a token on a free port
and its own configuration, runtime, data and settings folders, opens `05_ablation.ipynb` in Chromium, runs the cells
the explorer needs (the lesson's fast cells above it, the demo run and the explorer's own cell; not the table and
sweeps in between), then changes the unit and the layer in the explorer's drop-downs and checks that the images and
the concepts shown change. It saves a screenshot (to `$NEURON_CONCEPTS_SCREENSHOTS` when set, else the test's
temporary folder). Chromium and chromedriver are part of the test set-up: the `chromium` fixture of tests/conftest.py
installs Debian's packages with apt when they are missing and it can, else the test fails in one line saying what to
install; Selenium never downloads a browser.
"""
import json, os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
RUN_TIMEOUT = 1500  # seconds for the lesson's cells, the demo run on a cold cache included (about 5 min on 2 cores)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _cells_to_run(nb_path: Path) -> list:
    "Indices of the cells the explorer needs: every fast code cell above it, the demo run, the explorer's cell."
    cells = json.loads(nb_path.read_text(encoding='utf-8'))['cells']
    src = [''.join(c['source']) for c in cells]
    explorer = next(i for i, s in enumerate(src) if 'Explorer(' in s and cells[i]['cell_type'] == 'code')
    demo = next(i for i, s in enumerate(src) if s.startswith('#| slow') and 'demo = run(demo_config()' in s)
    fast = [i for i, c in enumerate(cells[:explorer])
            if c['cell_type'] == 'code' and not src[i].startswith('#| slow')]
    return sorted(set(fast + [demo, explorer]))


def _start_lab(nbdir: Path, home: Path, port: int, token: str) -> subprocess.Popen:
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / 'config'), JUPYTER_RUNTIME_DIR=str(home / 'runtime'),
               JUPYTER_DATA_DIR=str(home / 'data'), JUPYTERLAB_SETTINGS_DIR=str(home / 'settings'),
               JUPYTERLAB_WORKSPACES_DIR=str(home / 'workspaces'), HF_HUB_OFFLINE='1', MPLBACKEND='agg')
    root = Path(__file__).resolve().parent.parent
    env['PYTHONPATH'] = os.pathsep.join([str(root)] + [p for p in [env.get('PYTHONPATH')] if p])
    settings = home / 'settings' / '@jupyterlab'
    (settings / 'notebook-extension').mkdir(parents=True)
    # every cell in the page (no virtual scrolling), so the explorer's output can be found and looked at
    (settings / 'notebook-extension' / 'tracker.jupyterlab-settings').write_text('{"windowingMode": "none"}')
    (settings / 'apputils-extension').mkdir(parents=True)
    (settings / 'apputils-extension' / 'notification.jupyterlab-settings').write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={nbdir}', '--ServerApp.open_browser=False',
           '--LabApp.expose_app_in_browser=True', '--allow-root']
    log = open(home / 'lab.log', 'w')
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=nbdir)
    url = f'http://127.0.0.1:{port}/api/status?token={token}'
    for _ in range(120):
        if proc.poll() is not None:
            raise AssertionError('JupyterLab exited:\n' + (home / 'lab.log').read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(1)
    raise AssertionError('JupyterLab did not answer in 2 minutes:\n' + (home / 'lab.log').read_text()[-3000:])


def _stop_lab(proc: subprocess.Popen, port: int, token: str):
    try:  # the server's own shutdown also ends its kernels
        req = urllib.request.Request(f'http://127.0.0.1:{port}/api/shutdown?token={token}', method='POST')
        urllib.request.urlopen(req, timeout=10)
        proc.wait(30)
    except Exception:
        proc.terminate()
        proc.wait(30)


def _browser(paths):
    "Headless Chromium, from the `chromium` fixture's (browser, driver) paths (installed by the test set-up)."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = paths
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1500,1300',
              '--no-first-run', '--disable-extensions'):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=opts)  # a given driver: Selenium Manager stays idle


RUN_CELLS_JS = '''
const [indices] = arguments;
window.__nc = {done: 0, errors: [], finished: false};
(async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  for (const i of indices) {
    panel.content.activeCellIndex = i;
    await app.commands.execute('notebook:run-cell');
    const cell = panel.content.widgets[i];
    const outs = cell.model.outputs ? cell.model.outputs.toJSON() : [];
    for (const o of outs) {
      if (o.output_type === 'error') window.__nc.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
    window.__nc.done += 1;
    if (window.__nc.errors.length) break;
  }
  window.__nc.finished = true;
})().catch(e => { window.__nc.errors.push(String(e)); window.__nc.finished = true; });
'''

STATE_JS = '''
const box = document.querySelector('.nc-explorer') || document;
const html = box.querySelector('.widget-html-content');
const img = box.querySelector('.widget-image, img');
let pixels = null;
if (img && img.complete && img.naturalWidth) {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext('2d').drawImage(img, 0, 0);
  pixels = c.toDataURL('image/png');
}
return {concepts: html ? html.innerText : null, src: img ? img.src : null, pixels: pixels,
        size: img ? [img.naturalWidth, img.naturalHeight] : null};
'''


def _wait(fn, timeout, what, poll=1.0):
    t = time.time()
    while time.time() - t < timeout:
        v = fn()
        if v:
            return v
        time.sleep(poll)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


def test_explorer_in_jupyterlab(tmp_path, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from neuron_concepts.lessons import write_lessons

    nbdir = tmp_path / 'lessons'
    write_lessons(nbdir)
    nb = nbdir / '05_ablation.ipynb'
    indices = _cells_to_run(nb)
    port, token = _free_port(), secrets.token_hex(16)
    driver = _browser(chromium)  # first: a missing browser fails before anything starts
    lab = _start_lab(nbdir, tmp_path / 'jupyter', port, token)
    shot = Path(os.environ.get('NEURON_CONCEPTS_SCREENSHOTS') or tmp_path) / 'explorer-jupyterlab.png'
    try:
        driver.get(f'http://127.0.0.1:{port}/lab/tree/{nb.name}?token={token}')
        ready = ('const a = window.jupyterapp; const w = a && a.shell.currentWidget;'
                 'const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;'
                 f'return !!(w && w.context && w.context.path === "{nb.name}" && k && k.status === "idle"'
                 ' && w.content.widgets.length > 0);')
        _wait(lambda: driver.execute_script(ready), 180, 'the notebook and an idle kernel')
        driver.execute_script(RUN_CELLS_JS, indices)
        t0 = time.time()
        _wait(lambda: driver.execute_script('return window.__nc.finished'), RUN_TIMEOUT, 'the lesson cells')
        state = driver.execute_script('return window.__nc')
        assert not state['errors'], state['errors']
        assert state['done'] == len(indices), state
        print(f'{len(indices)} cells of {nb.name} ran in {time.time() - t0:.0f} s')

        # the explorer's widget: two drop-downs (layer, unit), the concepts table and the image
        def dropdown(label):
            xp = (f"//div[contains(@class,'widget-dropdown')][.//label[normalize-space()='{label}']]//select")
            found = driver.find_elements(By.XPATH, xp)
            return found[0] if found else None

        _wait(lambda: dropdown('unit') and dropdown('layer'), 60, "the explorer's drop-downs")
        driver.execute_script(
            "const s = arguments[0]; let e = s; while (e && !e.classList.contains('widget-vbox')) e = e.parentElement;"
            "if (e) e.classList.add('nc-explorer'); s.scrollIntoView({block: 'start'});", dropdown('layer'))
        before = _wait(lambda: (s := driver.execute_script(STATE_JS))['pixels'] and s, 60, 'the first image')
        assert 'ice bear' in before['concepts'], before['concepts']  # the lesson's unit 296
        unit = Select(dropdown('unit'))
        assert unit.first_selected_option.text.startswith('296:'), unit.first_selected_option.text

        unit.select_by_index(0)  # unit 0 of the final layer: tench
        after_unit = _wait(lambda: (s := driver.execute_script(STATE_JS))['pixels'] != before['pixels']
                           and s['concepts'] != before['concepts'] and s, 300, 'the explorer to show unit 0')
        assert Select(dropdown('unit')).first_selected_option.text.startswith('0:')

        Select(dropdown('layer')).select_by_visible_text('head')
        after_layer = _wait(lambda: (s := driver.execute_script(STATE_JS))['pixels'] != after_unit['pixels']
                            and s['concepts'] != after_unit['concepts'] and s, 300, 'the explorer to show layer head')
        unit = Select(dropdown('unit'))
        assert len(unit.options) == 32 and unit.first_selected_option.text == '0', [o.text for o in unit.options[:3]]
        assert after_layer['concepts'].count('www') == 1 and 'gradcam' not in after_layer['concepts']
        driver.execute_script('arguments[0].scrollIntoView({block: "start"})', dropdown('layer'))
        time.sleep(1)
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        driver.quit()
        _stop_lab(lab, port, token)
