"""Time each lesson cold: an empty cache of its own, offline, executed by `jupyter nbconvert --execute`, one at a time.

Usage: python tools/time_lessons.py [LESSON ...]      (default: every lesson named in settings.ini)

Each lesson runs top to bottom on its own (slow cells included, as a student runs it), as a copy written by
`write_lessons` (so the repository's files are not touched), with every cache folder empty and nothing downloaded.
Prints a markdown table (lesson, seconds) for the README's "Lessons, cold" section; the exit status is 1 when a lesson
fails or takes more than --limit seconds (default 600: 10 minutes on 2 CPU cores). Run it on a quiet machine.
"""
import argparse, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from neuron_concepts.lessons import lesson_paths, write_lessons  # noqa: E402


def time_one(path: Path, timeout: int) -> tuple:
    "Seconds to execute the lesson at `path` cold, and None or the tail of the error."
    with tempfile.TemporaryDirectory(prefix='lesson-cold-') as tmp:
        tmp = Path(tmp)
        nb = write_lessons(tmp / 'nbs', lessons=[path])[0]
        env = dict(os.environ, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', MPLBACKEND='agg',
                   PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
        for var, sub in (('NEURON_CONCEPTS_CACHE', 'cache'), ('XDG_CACHE_HOME', 'xdg-cache'), ('TORCH_HOME', 'torch'),
                         ('HF_HOME', 'hf'), ('MPLCONFIGDIR', 'matplotlib'), ('JUPYTER_RUNTIME_DIR', 'runtime')):
            env[var] = str(tmp / sub)
        cmd = [sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute',
               f'--ExecutePreprocessor.timeout={timeout}', '--output-dir', str(tmp / 'out'), str(nb)]
        t = time.time()
        r = subprocess.run(cmd, env=env, cwd=tmp / 'nbs', capture_output=True, text=True)
        secs = time.time() - t
        return secs, (None if r.returncode == 0 else (r.stderr or r.stdout)[-2000:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('lessons', nargs='*', help='lesson names or notebook paths (default: all)')
    ap.add_argument('--limit', type=int, default=600, help='seconds allowed per lesson')
    a = ap.parse_args(argv)
    paths = lesson_paths()
    if a.lessons:
        paths = [p for p in paths if p.stem in a.lessons or str(p) in a.lessons] or [Path(p) for p in a.lessons]
    rows, bad = [], False
    for p in paths:
        secs, err = time_one(p, timeout=max(a.limit * 3, 1800))
        over = secs > a.limit
        bad |= bool(err) or over
        note = 'failed' if err else ('over the limit' if over else '')
        rows.append(f'| `{p.stem}` | {secs:.0f} | {note} |')
        sys.stderr.write(f'{p.stem}: {secs:.0f} s {note}\n' + (err + '\n' if err else ''))
    sys.stdout.write(f'{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, '
                     f'Python {platform.python_version()}; empty cache, offline, `jupyter nbconvert --execute`\n\n'
                     '| lesson | seconds, cold | |\n| --- | --- | --- |\n' + '\n'.join(rows) + '\n')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
