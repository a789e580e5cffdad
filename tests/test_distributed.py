"""Runs split over processes with torchrun (Gloo on the CPU) write the files a single process writes."""
import os, shutil, signal, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

OPTS = ['--model', 'tiny-resnet', '--encoder', 'tiny-clip', '--concepts', 'broden', '--method', 'all', '--k', '3',
        '--units', '0-19', '--chunk', '8', '--batch-size', '4', '--quiet', '--workers', '0']
FILES = ('concepts.csv', 'examples.csv')
pytestmark = pytest.mark.slow


def cli(probe, out, cache):
    return ['-m', 'neuron_concepts', 'run', '--probe', str(probe), '--out', str(out), '--cache-dir', str(cache), *OPTS]


def one(probe, out, cache):
    "The single process, at torchrun's thread count (one per process): the bytes are equal at equal thread counts."
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, *cli(probe, out, cache)], capture_output=True, text=True, timeout=600,
                          env=env)


def torchrun(n, probe, out, cache, popen=False):
    "`torchrun --standalone --nproc-per-node n -m neuron_concepts run ...`, finished (or started, with `popen`)."
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc-per-node', str(n),
           *cli(probe, out, cache)]
    if popen:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def files(out):
    return {f: (Path(out) / f).read_bytes() for f in FILES}


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A probe folder of 40 images of several sizes and one broken file, and the single-process run on it."
    d = tmp_path_factory.mktemp('dist')
    rng = np.random.default_rng(3)
    (d / 'probe').mkdir()
    for i in range(40):
        h, w = int(rng.integers(120, 300)), int(rng.integers(120, 300))
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(d / 'probe' / f'img{i:03d}.png')
    (d / 'probe' / 'broken.jpg').write_bytes(b'\xff\xd8\xff' + bytes(100))
    r = one(d / 'probe', d / 'ref', d / 'cache-ref')
    assert r.returncode == 0, r.stderr
    return d


def test_two_processes_write_the_files_of_one(work):
    r = torchrun(2, work / 'probe', work / 'two', work / 'cache-two')
    assert r.returncode == 0, r.stderr
    assert files(work / 'two') == files(work / 'ref')
    assert r.stdout.count('wrote ') == 1                          # rank 0 alone reports and writes
    # the shared cache, resumed by one process: every stage is found, nothing is computed again
    again = one(work / 'probe', work / 'again', work / 'cache-two')
    assert again.returncode == 0, again.stderr
    assert files(work / 'again') == files(work / 'ref')
    assert 'computed' not in again.stdout.replace('computed with an earlier stage', ''), again.stdout


def test_a_cache_per_process(work):
    cache = work / 'cache-{rank}'
    r = torchrun(2, work / 'probe', work / 'per', cache)
    assert r.returncode == 0, r.stderr
    assert files(work / 'per') == files(work / 'ref')
    own = {rank: sorted(p.name for p in (work / f'cache-{rank}').glob('activations-*.part*.pt')) for rank in (0, 1)}
    assert {n.rsplit('.part', 1)[1] for n in own[1]} == {'1.pt', '3.pt'}   # 5 chunks of 8: rank 1 computed 1 and 3
    assert set(own[1]) < set(own[0])                                       # rank 0 has every chunk, its own and
    assert {n.rsplit('.part', 1)[1] for n in own[0]} == {f'{c}.pt' for c in range(5)}   # those it was sent


def _worker(parent: int, rank: int):
    "The pid of the torchrun worker of `rank` among the children of `parent` (Linux /proc)."
    for p in Path('/proc').iterdir():
        if not p.name.isdigit():
            continue
        try:
            ppid = int((p / 'stat').read_text().rsplit(')', 1)[1].split()[1])
            env = (p / 'environ').read_bytes().split(b'\0')
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and f'RANK={rank}'.encode() in env:
            return int(p.name)


@pytest.mark.skipif(not Path('/proc/self/environ').exists(), reason='finds the worker processes in /proc')
@pytest.mark.parametrize('trigger', ['activations-*.part3.pt', 'image_features-*.r*.pt'])
def test_kill_one_process_then_resume(work, trigger):
    cache, out = work / f'cache-kill-{trigger[:6]}', work / f'kill-{trigger[:6]}'
    p = torchrun(2, work / 'probe', out, cache, popen=True)
    t0, killed = time.time(), False
    while p.poll() is None and time.time() - t0 < 300:
        if any(cache.glob(trigger)):
            pid = _worker(p.pid, 1)
            if pid:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
        time.sleep(0.02)
    p.communicate(timeout=300)
    assert killed and p.returncode != 0                        # the launch ended with the killed process
    r = torchrun(2, work / 'probe', out, cache)
    assert r.returncode == 0, r.stderr
    assert files(out) == files(work / 'ref')
    assert 'reused' in r.stdout or 'resumed' in r.stdout, r.stdout   # the finished chunks were not redone


def test_a_process_error_is_one_line(work):
    (work / 'bad').mkdir()
    (work / 'bad' / '1').write_text('not a folder')            # process 1's cache folder cannot be made
    r = torchrun(2, work / 'probe', work / 'bad-out', work / 'bad' / '{rank}')
    assert r.returncode != 0
    ours = [l for l in r.stderr.splitlines() if l.startswith('neuron-concepts: error:')]
    assert len(ours) == 1, r.stderr
    assert 'process 1 of 2' in ours[0] and str(work / 'bad' / '1') in ours[0], ours
    assert f'traceback : {ours[0]}' in r.stderr                # torchrun's summary names the same cause
    assert '[rank0]: Traceback' not in r.stderr and '[rank1]: Traceback' not in r.stderr, r.stderr
