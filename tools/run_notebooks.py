"""Execute notebooks top to bottom and save them with their outputs (the figures and tables committed in nbs/).

Usage: python tools/run_notebooks.py [NOTEBOOK ...]      (default: every notebook in nbs/)

Each notebook runs in a fresh kernel, slow cells included, exactly as the test suite runs it; a failing cell
stops that notebook with a non-zero exit status and leaves the file unchanged. Run `nbdev_clean` afterwards.
"""
import sys, time
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

ROOT = Path(__file__).resolve().parent.parent


def run_one(path: Path) -> float:
    nb = read_nb(path)
    t = time.time()
    CaptureShell(path.parent, mpl_format="jpeg").run_all(nb, exc_stop=True)   # photos: JPEG keeps figures small
    write_nb(nb, path)
    return time.time() - t


if __name__ == '__main__':
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))
    for p in paths:
        try: secs = run_one(p)
        except Exception as e:
            sys.stderr.write(f'{p.name}: failed: {type(e).__name__}: {e}\n')
            sys.exit(1)
        sys.stdout.write(f'{p.name}: {secs:.0f} s\n')
        sys.stdout.flush()
