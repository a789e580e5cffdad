"""The docs site (tools/build_docs.py): built offline from the notebooks, then read in headless Chromium.

The browser opens the home page (the README), a lesson and the API page, finds their figures and the names
`explain`, `wrap_model` and `explain_prediction`, and follows every internal link of the three pages: each target
file exists and each `#anchor` names an element of its page."""
import re, subprocess, sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import build_docs  # noqa: E402

NAMES = ('explain', 'wrap_model', 'explain_prediction')


def test_site_sources(tmp_path):
    "The staged sources: the README as the home page, every notebook a page (lessons first), the API's names."
    pages = build_docs.stage(tmp_path / 'src')
    nbs = sorted(p.stem for p in (ROOT / 'nbs').glob('*.ipynb') if p.stem != 'index')
    assert sorted(pages) == nbs and pages[:3] == ['00_crop', '01_activations', '02_similarity']
    assert pages.index('05b_why') < pages.index('06_pipeline')
    home = (tmp_path / 'src' / 'index.md').read_text(encoding='utf-8')
    assert home.startswith((ROOT / 'README.md').read_text(encoding='utf-8'))
    assert all(f'nbs/{p}\n' in home for p in pages) and 'api\n```' in home
    api = (tmp_path / 'src' / 'api.md').read_text(encoding='utf-8')
    for n in NAMES:
        assert f'.. autofunction:: neuron_concepts.{n}\n' in api
    assert '.. autoclass:: neuron_concepts.RunConfig\n' in api
    crop = (tmp_path / 'src' / 'nbs' / '00_crop.ipynb').read_text(encoding='utf-8')
    assert '#| export' not in crop and '#| hide' not in crop and 'default_exp' not in crop   # nbdev's own lines
    assert 'def center_crop' in crop
    for link in re.findall(r'\]\(((?:nbs/)[^)#]+)', home):   # the README's links to files of the repository
        assert (tmp_path / 'src' / link).is_file(), link


def test_markdown_docstrings():
    "Docstrings are Markdown: `code` becomes a reST literal, reST's markup characters are escaped."
    ns = {}
    exec(build_docs.CONF, ns)
    lines = ['Rows `a_b|c` of *P* and x_ | y', '`x`', 'the `embed`ded words']
    ns['markdown_docstring'](None, 'function', 'f', None, {}, lines)
    assert lines == [r'Rows ``a_b|c`` of \*P\* and x\_ \| y', '``x``', r'the ``embed``\ ded words']


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site, built as the README says: `python tools/build_docs.py OUT`."
    out = tmp_path_factory.mktemp('docs') / 'site'
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), str(out)], capture_output=True,
                       text=True, timeout=1800, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    problems = [l for l in r.stderr.splitlines() if 'WARNING' in l or 'ERROR' in l]
    assert not problems, '\n'.join(problems[:20])   # e.g. a docstring that reST cannot read
    assert r.stdout.strip().splitlines()[-1] == f'docs: {out / "index.html"}'
    return out


@pytest.fixture(scope='module')
def browser(chromium):
    from conftest import chrome

    d = chrome(chromium)
    yield d
    d.quit()


LINKS_JS = 'return Array.from(document.querySelectorAll("a[href]"), a => a.href);'
FIGURES_JS = '''return Array.from(document.querySelectorAll("main img, article img"),
                         i => [i.getAttribute("src"), i.complete && i.naturalWidth > 0]);'''


def check_links(driver, site: Path) -> int:
    "Every link of the page into the site: its file exists and its #anchor is an id of that page. How many."
    n = 0
    for href in driver.execute_script(LINKS_JS):
        u = urlparse(href)
        if u.scheme != 'file':
            continue
        target = Path(unquote(u.path))
        assert target.is_file(), f'{driver.current_url}: broken link {href}'
        assert site.resolve() in target.resolve().parents or target.resolve().parent == site.resolve(), href
        if u.fragment and target.suffix == '.html':
            html = target.read_text(encoding='utf-8')
            assert f'id="{unquote(u.fragment)}"' in html, f'{driver.current_url}: no anchor {href}'
        n += 1
    return n


def severe(driver) -> list:
    return [e for e in driver.get_log('browser') if e['level'] == 'SEVERE']


@pytest.mark.slow
def test_site_in_chromium(site, browser, tmp_path):
    from selenium.webdriver.common.by import By

    assert sorted(p.name for p in site.glob('*.html'))[:1] and (site / 'index.html').is_file()
    browser.get((site / 'index.html').as_uri())
    assert severe(browser) == []
    text = browser.find_element(By.CSS_SELECTOR, 'article[role=main]').text
    assert 'What has this neuron learned?' in text and all(n in text for n in NAMES)
    figs = browser.execute_script(FIGURES_JS)
    assert figs and all(ok for _, ok in figs), figs          # the README's figure, loaded
    assert check_links(browser, site) > 30
    # the home page links to the lessons: follow the one of lesson 00, as a reader would
    link = browser.find_element(By.CSS_SELECTOR, 'article a[href$="nbs/00_crop.html"]')
    browser.execute_script('arguments[0].click();', link)
    assert browser.current_url.endswith('/nbs/00_crop.html')
    assert severe(browser) == []
    figs = browser.execute_script(FIGURES_JS)
    assert len(figs) >= 1 and all(ok for _, ok in figs), figs   # the lesson's figure, from its committed output
    assert 'Grad-CAM' in browser.find_element(By.CSS_SELECTOR, 'article[role=main]').text
    assert check_links(browser, site) > 30
    browser.save_screenshot(str(tmp_path / 'lesson.png'))
    assert (tmp_path / 'lesson.png').stat().st_size > 10_000
    # a lesson with several figures
    browser.get((site / 'nbs' / '05b_why.html').as_uri())
    figs = browser.execute_script(FIGURES_JS)
    assert len(figs) >= 3 and all(ok for _, ok in figs), figs
    # the API page: the three names as documented objects, with their docstrings
    browser.get((site / 'api.html').as_uri())
    assert severe(browser) == []
    for n in NAMES:
        sig = browser.find_element(By.ID, f'neuron_concepts.{n}')
        assert n in sig.text
        doc = sig.find_element(By.XPATH, './following-sibling::dd').text
        assert len(doc) > 20, (n, doc)
    assert check_links(browser, site) > 30
    # math is typeset by the site's own MathJax (no internet): lesson 02's equations
    browser.get((site / 'nbs' / '02_similarity.html').as_uri())
    browser.set_script_timeout(60)
    typeset = browser.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        '(window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.reject("no MathJax"))'
        '.then(() => done(document.querySelectorAll("mjx-container").length), e => done(-1));')
    assert typeset > 0
    assert severe(browser) == []
