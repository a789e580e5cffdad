"""The built wheel: it carries the licence, the third-party notices and the bundled data's licence files."""
import shutil, subprocess, sys, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _sources(dest: Path) -> Path:
    "A copy of the repository's tracked files (the wheel is built there, leaving the checkout untouched)."
    files = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split('\0')):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.mark.slow
def test_wheel_carries_licence_and_notices(tmp_path):
    src = _sources(tmp_path / 'src')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', str(src),
                    '-w', str(tmp_path / 'whl')], check=True, capture_output=True)
    wheel, = (tmp_path / 'whl').glob('neuron_concepts-*.whl')
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        read = lambda n: z.read(n).decode('utf-8')
        meta = [n for n in names if '.dist-info/' in n]
        lic = [n for n in meta if n.endswith('/LICENSE')]
        notice = [n for n in meta if n.endswith('/NOTICE')]
        assert lic and notice, meta
        assert read(lic[0]) == (ROOT / 'LICENSE').read_text(encoding='utf-8')
        assert read(notice[0]) == (ROOT / 'NOTICE').read_text(encoding='utf-8')
        for f in ('LICENSE-WWW.txt', 'LICENSE-WordNet.txt', 'imagenet_labels.txt', 'wordnet_nouns.tsv.gz'):
            assert f'neuron_concepts/data/concepts/{f}' in names, f
        assert 'neuron_concepts/data/README.md' in names
        assert {f'neuron_concepts/data/report/{f}' for f in ('report.css', 'report.js', 'sort.js')} <= set(names)
        metadata = read(next(n for n in meta if n.endswith('/METADATA')))
        assert 'Apache-2.0' in metadata
