"""The installed `neuron-concepts` command, run as a user runs it (a subprocess), on tiny random models."""
import csv, json, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def cli(*args, cwd=None):
    return subprocess.run(['neuron-concepts', *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope='module')
def probe(tmp_path_factory):
    d = tmp_path_factory.mktemp('probe')
    rng = np.random.default_rng(1)
    for j in range(6):
        Image.fromarray(rng.integers(0, 255, (230 + 10 * j, 260, 3), dtype=np.uint8)).save(d / f'n0144{j}764_x{j}.png')
    (d / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    return d


def test_help_lists_commands():
    r = cli('--help')
    assert r.returncode == 0 and all(c in r.stdout for c in ('run', 'demo', 'evaluate'))
    r = cli('run', '--help')
    for flag in ('--probe', '--model', '--layer', '--encoder', '--concepts', '--method', '--k', '--alpha', '--kappa', '--device', '--out',
                 '--preset'):
        assert flag in r.stdout, flag


def test_help_version_and_bad_options_import_no_torch():
    "--help, --version and a mistyped option answer before torch is imported (checked by module, not by clock)."
    code = ('import sys, contextlib, io\nimport neuron_concepts.cli as c\n'
            'for argv in (["--help"], ["run", "--help"], ["--version"], ["run", "--kk", "1"], ["why", "--help"]):\n'
            '    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n'
            '        try:\n            c.main(argv)\n        except SystemExit:\n            pass\n'
            'print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "open_clip")))')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == '[]', (r.stdout, r.stderr)
    r = cli('--version')
    assert r.returncode == 0 and r.stdout.startswith('neuron-concepts ')


def test_folder_of_text_files_says_why(tmp_path):
    (tmp_path / 'texts').mkdir()
    for n in ('a.txt', 'b.txt', 'c.txt'):
        (tmp_path / 'texts' / n).write_text('not an image')
    r = cli('run', '--probe', tmp_path / 'texts', '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--out', tmp_path / 'o')
    assert r.returncode == 2 and '3 files, none an image (.txt;' in r.stderr, r.stderr


def test_run_writes_the_three_files(probe, tmp_path):
    out = tmp_path / 'out'
    r = cli('run', '--probe', probe, '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden',
            '--method', 'www,gradcam-tvmf', '--k', '2', '--units', '0-3', '--out', out, '--cache-dir', tmp_path / 'cache',
            '--quiet', '--workers', '0')
    assert r.returncode == 0, r.stderr
    with open(out / 'examples.csv', newline='') as f: ex = list(csv.DictReader(f))
    assert len(ex) == 2 * 4 * 2 and {e['method'] for e in ex} == {'www', 'gradcam-tvmf'}
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['probe']['skipped'] == 1 and 'broken.jpg' in cfg['probe']['skipped_files']
    assert 'Traceback' not in r.stderr
    assert r.stdout.rstrip().splitlines()[-1] == f'report: {out / "report.html"}'  # every run ends with its page
    assert (out / 'report.html').is_file()


@pytest.mark.parametrize('args,message', [
    (['--k', '50'], 'k=50 is larger than the probe set'),
    (['--alpha', '0'], 'alpha must be in (0, 1]'),
    (['--kappa', '-0.5'], 'kappa must be'),
    (['--layer', 'layer7'], "unknown layer 'layer7';"),
    (['--concepts', 'nope.txt'], "unknown concept set 'nope.txt'"),
    (['--weights', 'missing.pth'], 'missing.pth does not exist'),
])
def test_bad_arguments_get_one_line_errors(probe, tmp_path, args, message):
    base = ['run', '--probe', probe, '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden', '--k', '2',
            '--units', '0-3', '--out', tmp_path / 'o', '--cache-dir', tmp_path / 'c', '--quiet', '--workers', '0']
    if args[0] == '--weights': base[base.index('tiny-resnet')] = 'resnet50'
    r = cli(*base, *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr


@pytest.mark.parametrize('where', ['read-only folder', 'sysfs'])
def test_output_folder_that_cannot_be_written(probe, tmp_path, where):
    "The operating system refuses the output folder: the error names it, before any work is done."
    import os
    if where == 'read-only folder':
        if not hasattr(os, 'geteuid') or os.geteuid() == 0: pytest.skip('the superuser may write into a read-only folder')
        ro = tmp_path / 'ro'; ro.mkdir(); ro.chmod(0o500)
        out = ro / 'out'
    else:  # sysfs refuses new folders even to the superuser
        if not Path('/sys/kernel').is_dir(): pytest.skip('needs Linux sysfs')
        out = Path('/sys/neuron-concepts-out')
    r = cli('run', '--probe', probe, '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden', '--k', '2',
            '--units', '0-3', '--out', out, '--cache-dir', tmp_path / 'c', '--quiet', '--workers', '0')
    assert r.returncode == 2 and f'cannot create output folder {out}' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr and not (tmp_path / 'c').exists()


def test_empty_probe_folder_is_reported(tmp_path):
    (tmp_path / 'empty').mkdir()
    r = cli('run', '--probe', tmp_path / 'empty', '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--out', tmp_path / 'o')
    assert r.returncode == 2 and 'holds no readable images' in r.stderr


def test_two_runs_of_one_configuration_are_identical(probe, tmp_path):
    outs = []
    for n in (1, 2):   # separate caches: both runs compute everything
        out = tmp_path / f'out{n}'
        r = cli('run', '--probe', probe, '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden',
                '--method', 'all', '--k', '2', '--units', '0-9', '--out', out, '--cache-dir', tmp_path / f'cache{n}',
                '--quiet', '--workers', '0')
        assert r.returncode == 0, r.stderr
        outs.append({f: (out / f).read_bytes() for f in ('concepts.csv', 'examples.csv')})
    assert outs[0] == outs[1]
    cfgs = [json.loads((tmp_path / f'out{n}' / 'config.json').read_text()) for n in (1, 2)]
    for c in cfgs: c['config'].pop('cache_dir')
    assert cfgs[0]['config'] == cfgs[1]['config'] and cfgs[0]['probe'] == cfgs[1]['probe']


@pytest.mark.slow
def test_demo_command(tmp_path):
    "The README's demo, exactly as a user runs it (its stages land in the shared cache the notebooks reuse)."
    r = cli('demo', '--out', tmp_path / 'demo-out', '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'not CLIP' in r.stdout and 'not clip' in r.stderr.lower()
    assert '| www | imagenet |' in r.stdout and '| gradcam-tvmf | imagenet |' in r.stdout
    m = json.loads((tmp_path / 'demo-out' / 'metrics.json').read_text())
    assert set(m) >= {'www', 'gradcam', 'tvmf', 'gradcam-tvmf'}
    assert m['www']['clip_cos']['encoder'] == 'all-MiniLM-L6-v2' and m['_about']['units'] == 502
    cfg = json.loads((tmp_path / 'demo-out' / 'config.json').read_text())
    assert cfg['encoder_is_clip'] is False and 'not CLIP' in cfg['note']
    assert r.stdout.rstrip().splitlines()[-1] == f"report: {tmp_path / 'demo-out' / 'report.html'}"
    assert (tmp_path / 'demo-out' / 'report.html').is_file()


def test_lessons_student_copies_have_no_solutions(tmp_path):
    r = cli('lessons', tmp_path / 'class', '--student')
    assert r.returncode == 0 and "student's copies" in r.stdout, r.stderr
    nbs = sorted((tmp_path / 'class').glob('*.ipynb'))
    assert [p.stem for p in nbs] == ['00_crop', '01_activations', '02_similarity', '03_scoring', '03b_dissect',
                                     '04_eval', '04b_faithfulness', '05_ablation', '05b_why']
    for p in nbs:
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        srcs = [''.join(c['source']) for c in cells]
        assert not any(s.startswith('#|') and '#| solution' in s for s in srcs), p.name
        assert any(s.startswith('## Exercises') for s in srcs), p.name
        assert not any(c.get('outputs') for c in cells), p.name
        assert not any(s.startswith('<!-- answers -->') for s in srcs), p.name  # the questionnaire's answers
        assert any(s.startswith('## Questionnaire') for s in srcs), p.name
    r = cli('lessons', tmp_path / 'class', '--student')  # refuses to overwrite the handed-out copies
    assert r.returncode == 2 and 'exists; pass overwrite=True (--overwrite)' in r.stderr, r.stderr
    r = cli('lessons', tmp_path / 'teacher')
    assert r.returncode == 0
    teacher = (tmp_path / 'teacher' / '05_ablation.ipynb').read_text(encoding='utf-8')
    assert '#| solution' in teacher and '<!-- answers -->' in teacher


def test_clip_dissect_beside_www_and_the_paper(probe, tmp_path):
    "`run --method soft-wpmi,www,gradcam-tvmf` then `evaluate`: one table with the three; soft-WPMI keeps one concept."
    out = tmp_path / 'out'
    r = cli('run', '--probe', probe, '--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'imagenet',
            '--method', 'soft-wpmi,www,gradcam-tvmf', '--k', '2', '--units', '0-3', '--out', out,
            '--cache-dir', tmp_path / 'cache', '--quiet', '--workers', '0')
    assert r.returncode == 0, r.stderr
    with open(out / 'concepts.csv', newline='') as f: rows = [c for c in csv.DictReader(f) if c['method'] == 'soft-wpmi']
    assert sorted(int(c['unit']) for c in rows) == [0, 1, 2, 3] and {c['rank'] for c in rows} == {'0'}
    r = cli('evaluate', out, '--clip-text', 'all-MiniLM-L6-v2', '--mpnet', 'all-MiniLM-L6-v2')
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith('|')]
    assert len(lines) == 5 and lines[0].startswith('| method | D_concept |'), r.stdout
    assert sorted(l.split('|')[1].strip() for l in lines[2:]) == ['gradcam-tvmf', 'soft-wpmi', 'www'], r.stdout
    assert set(json.loads((out / 'metrics.json').read_text())) >= {'soft-wpmi', 'www', 'gradcam-tvmf'}
