"""The lessons as package data: the build copies the notebooks that settings.ini names, and an installed package
(no repository around it) finds those copies."""
import configparser, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lesson_names():
    cfg = configparser.ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    return cfg['DEFAULT']['lessons'].split()


def test_settings_name_the_lessons():
    names = _lesson_names()
    core = ['00_crop', '01_activations', '02_similarity', '03_scoring', '04_eval', '05_ablation']
    assert [n for n in names if n in core] == core, names  # the six the package is built around, in order
    assert names == sorted(names), names  # the course's order is the order the names sort in
    assert len(names) == len([p for p in (ROOT / 'nbs').glob('0[0-5]*.ipynb')]), 'a lesson is not registered'
    assert all((ROOT / 'nbs' / f'{n}.ipynb').exists() for n in names)


def test_build_ships_the_lessons(tmp_path):
    build = tmp_path / 'build'
    r = subprocess.run([sys.executable, 'setup.py', '-q', 'build_py', '--build-lib', str(build)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    shipped = build / 'neuron_concepts' / 'data' / 'lessons'
    for n in _lesson_names():
        assert (shipped / f'{n}.ipynb').read_bytes() == (ROOT / 'nbs' / f'{n}.ipynb').read_bytes(), n
    # the built package, outside any repository, lists its shipped copies
    code = 'from neuron_concepts.lessons import lesson_paths; print(*[p.stem for p in lesson_paths()])'
    r = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={'PYTHONPATH': str(build), 'PATH': '/usr/bin:/bin', 'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == sorted(_lesson_names())
