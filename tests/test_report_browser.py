"""The run report in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) opens the page.

These tests fail, never skip, when the browser or its driver is missing and cannot be installed: the `chromium`
fixture of tests/conftest.py installs both with apt when it can."""
import csv, json, shutil, subprocess, time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from neuron_concepts.report import write_report
from neuron_concepts.testing import make_probe_folder


class Units(HTMLParser):
    "The data attributes of every unit section of a report."

    def __init__(self):
        super().__init__()
        self.units, self.images = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'section' and 'unit' in a.get('class', ''):
            self.units.append(a)
        if tag == 'img' and 'src' in a:  # the large view's image has none until a click
            self.images.append(a['src'])


def parse(page: Path) -> Units:
    p = Units()
    p.feed(page.read_text(encoding='utf-8'))
    return p


@pytest.fixture(scope='module')
def browser(chromium):
    "Headless Chromium through Debian's chromedriver (set up by tests/conftest.py; Selenium never downloads)."
    from conftest import chrome

    d = chrome(chromium)
    yield d
    d.quit()


def open_page(driver, page: Path) -> float:
    "Open the page; its load time in seconds (navigation start to the end of the load event)."
    driver.get(page.resolve().as_uri())
    return driver.execute_script(
        'var t = performance.getEntriesByType("navigation")[0]; return (t.loadEventEnd - t.startTime) / 1000;')


def severe(driver) -> list:
    return [e for e in driver.get_log('browser') if e['level'] == 'SEVERE']


def shown(driver) -> int:
    return driver.execute_script('return document.querySelectorAll(".unit:not(.hidden)").length;')


def matches(query: str, u: dict, layers: set) -> bool:
    """The page's search rule, in Python: 'unit N' (or N) is that unit; a layer's name, that layer; any other
    word must start a word of the unit's concepts or classes (or its layer's name)."""
    toks, unit, terms = [t for t in query.lower().replace(',', ' ').split() if t], None, []
    i = 0
    while i < len(toks):
        if toks[i] == 'unit' and i + 1 < len(toks) and toks[i + 1].isdigit():
            unit, i = toks[i + 1], i + 2
            continue
        if toks[i].isdigit():
            unit = toks[i]
        else:
            terms.append(toks[i])
        i += 1
    low, words = u['data-layer'].lower(), u['data-text'].split()

    def term(t):
        if t in layers:
            return low == t
        return low.startswith(t) or any(w.startswith(t) for w in words)

    return (unit is None or u['data-unit'] == unit) and all(term(t) for t in terms)


def search(driver, text: str):
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, 'search')
    box.clear()
    box.send_keys(text)


@pytest.mark.slow
def test_demo_report_in_chromium(browser, tmp_path):
    "The demo's own report: no console error, the search box narrows the units, and a screenshot."
    out = tmp_path / 'demo-out'
    r = subprocess.run(['neuron-concepts', 'demo', '--out', str(out), '--quiet'], capture_output=True, text=True,
                       timeout=3000)
    assert r.returncode == 0, r.stderr
    page = out / 'report.html'
    assert r.stdout.rstrip().splitlines()[-1] == f'report: {page}'  # the demo ends with the report's path
    units = parse(page)
    assert all((out / s).is_file() for s in units.images)
    load = open_page(browser, page)
    assert severe(browser) == []
    from selenium.webdriver.common.by import By

    n = len(units.units)
    assert n == 502 and shown(browser) == n
    assert browser.find_element(By.ID, 'count').text == f'{n} of {n} units shown'
    layers = {u['data-layer'].lower() for u in units.units}
    for q in ('tench', 'dog', 'zzzz-no-such-concept', 'fc unit 1', 'unit 2', 'great white'):
        search(browser, q)
        want = sum(matches(q, u, layers) for u in units.units)  # the same rule, counted from the parsed page
        assert shown(browser) == want, q
        assert browser.find_element(By.ID, 'count').text == f'{want} of {n} units shown'
    search(browser, 'unit 2')
    assert shown(browser) <= 1  # a unit number is exact, not a substring (unit 2, not 12 or 200)
    search(browser, 'dog')
    assert 0 < shown(browser) < n
    legend = browser.find_element(By.ID, 'legend')  # the page explains itself
    assert legend.is_displayed() and 'www' in legend.text and '(none)' in legend.text, legend.text
    assert browser.find_element(By.ID, 'hitlabel').is_displayed()  # final-layer units: a ground truth
    assert '502 of the 1,000 units of layer fc' in browser.find_element(By.ID, 'partial').text
    search(browser, '')
    open_large_view(browser)
    browser.save_screenshot(str(tmp_path / 'report.png'))
    assert (tmp_path / 'report.png').stat().st_size > 10_000
    assert severe(browser) == []
    size = page.stat().st_size + sum(f.stat().st_size for f in (out / 'report_files').iterdir())
    print(f'demo report: {page.stat().st_size / 1e6:.2f} MB page, {size / 1e6:.2f} MB with thumbnails, '
          f'{len(list((out / "report_files").iterdir()))} thumbnails; load {load:.2f} s')


def open_large_view(driver):
    "Click the first thumbnail: the large view opens with the whole image and the crop box; Escape closes it."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    zoom = driver.find_element(By.ID, 'zoom')
    assert not zoom.is_displayed()
    thumb = driver.find_element(By.CSS_SELECTOR, '.unit:not(.hidden) .thumbs img')
    driver.execute_script('arguments[0].scrollIntoView({block: "center"});', thumb)  # not under the header
    thumb.click()
    assert zoom.is_displayed()
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        'var i = document.getElementById("zorig"); return i.complete && i.naturalWidth > 0;'))
    orig = driver.find_element(By.ID, 'zorig').get_attribute('src')
    assert orig.endswith(thumb.get_attribute('data-orig')), (orig, thumb.get_attribute('data-orig'))
    rect = driver.find_element(By.ID, 'zrect')
    box = [float(x) for x in thumb.get_attribute('data-box').split()]
    img = driver.find_element(By.ID, 'zorig')
    assert abs(rect.size['width'] - (box[2] - box[0]) * img.size['width']) <= 2  # the crop box, to scale
    assert thumb.get_attribute('title') in driver.find_element(By.ID, 'zcap').text
    driver.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)
    assert not zoom.is_displayed()


def fake_run(d: Path, n_units: int = 2048, k: int = 5) -> Path:
    "A run folder of `n_units` units of one layer (two methods), its examples drawn from 8 generated images."
    probe = make_probe_folder(d / 'probe', 8)
    d = d / 'run'
    d.mkdir()
    cfg = dict(config=dict(probe=str(probe), model='made-up', methods=['www', 'gradcam-tvmf'], concepts='broden',
                           k=k), final_layer='fc', n_classes=1000, target=dict(resize=256, crop=224), note=None)
    (d / 'config.json').write_text(json.dumps(cfg))
    with open(d / 'concepts.csv', 'w', newline='') as f, open(d / 'examples.csv', 'w', newline='') as g:
        cw, ew = csv.writer(f), csv.writer(g)
        cw.writerow(['method', 'layer', 'unit', 'rank', 'concept', 'score'])
        ew.writerow(['method', 'layer', 'unit', 'rank', 'image', 'activation'])
        for u in range(n_units):
            for m in ('www', 'gradcam-tvmf'):
                cw.writerow([m, 'layer4', u, 0, f'concept{u % 100}', 1.0])
                cw.writerow([m, 'layer4', u, 1, 'sky' if u % 2 else 'grass', 0.9])
                for r in range(k):
                    ew.writerow([m, 'layer4', u, r, f'img{(u + r) % 8}.png', 1.0])
    return d


@pytest.mark.slow
def test_2048_units_open_and_scroll(browser, tmp_path):
    "A ResNet-50-sized layer (2,048 units) on one page: it loads, scrolls to the end, and filters (times printed)."
    from selenium.webdriver.common.by import By

    run = fake_run(tmp_path)
    t = time.time()
    page = write_report(run, progress=False)
    build = time.time() - t
    load = open_page(browser, page)
    assert severe(browser) == []
    assert shown(browser) == 2048
    t = time.time()
    for _ in range(40):  # scroll the whole page in 40 steps, waiting for a frame each time
        browser.execute_script('window.scrollBy(0, document.body.scrollHeight / 40);')
        browser.execute_async_script('requestAnimationFrame(arguments[arguments.length - 1]);')
    scroll = time.time() - t
    assert browser.execute_script('return window.scrollY + window.innerHeight >= document.body.scrollHeight - 5;')
    search(browser, 'concept7')  # concept7, concept70 ... concept79: 11 of each 100 units
    assert shown(browser) == sum(1 for u in range(2048) if f'concept{u % 100}'.startswith('concept7'))
    search(browser, 'layer4 unit 2')  # tokens: the layer, and unit 2 exactly
    assert shown(browser) == 1
    first = 'return document.querySelector(".unit:not(.hidden)").getAttribute("data-unit");'
    assert browser.execute_script(first) == '2'
    search(browser, 'unit 2 sky')  # unit 2's second concept is grass: no unit
    assert shown(browser) == 0
    search(browser, 'layer4 grass')
    assert shown(browser) == 1024
    assert browser.find_elements(By.ID, 'hitlabel') == []  # no ground truth on an inner layer, no filter
    search(browser, '')
    open_large_view(browser)
    assert severe(browser) == []
    print(f'2048 units: report written in {build:.1f} s, {page.stat().st_size / 1e6:.2f} MB; '
          f'load {load:.2f} s; scrolled to the end in {scroll:.2f} s')


@pytest.mark.slow
def test_sort_by_faithfulness(browser, tmp_path):
    "With faithfulness.csv in the run folder, each unit shows its scores and the page sorts by any of them."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    run = fake_run(tmp_path, n_units=20)
    f1 = {u: (u * 7 % 20) / 20 for u in range(20)}  # a known order, not the units' own
    with open(run / 'faithfulness.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['method', 'layer', 'unit', 'target', 'concept', 'wnid', 'split', 'baseline', 'n_images',
                    'n_positive', 'correlation', 'cosine', 'auprc', 'f1', 'iou'])
        for u in range(20):
            for m in ('www', 'gradcam-tvmf'):
                w.writerow([m, 'layer4', u, 'top', 'sky', 'n09436708', 'heldout', '', 8, 2, 0.1, 0.2, 0.3,
                            f1[u] if m == 'www' else 1 - f1[u], 0.5])
                w.writerow([m, 'layer4', u, 'top', 'sky', 'n09436708', 'heldout', 'other-unit', 8, 2, 9, 9, 9, 9, 9])
    page = write_report(run, progress=False)
    open_page(browser, page)
    assert severe(browser) == []
    order = lambda: browser.execute_script(
        'return Array.prototype.map.call(document.querySelectorAll(".unit"), '
        'function(u){ return u.querySelector("h2").textContent; });')
    assert order() == [f'layer4 · unit {u}' for u in range(20)]
    lines = browser.find_elements(By.CSS_SELECTOR, '.unit .faith')
    assert len(lines) == 40 and 'faithfulness (held out, 2 positive): corr 0.100' in lines[0].text
    Select(browser.find_element(By.ID, 'sort')).select_by_value('www-f1')
    assert order() == [f'layer4 · unit {u}' for u in sorted(range(20), key=lambda u: -f1[u])]
    Select(browser.find_element(By.ID, 'sort')).select_by_value('gradcam-tvmf-f1')
    assert order() == [f'layer4 · unit {u}' for u in sorted(range(20), key=lambda u: f1[u])]
    Select(browser.find_element(By.ID, 'sort')).select_by_value('')
    assert order() == [f'layer4 · unit {u}' for u in range(20)]
    assert severe(browser) == []
