"""The test command's own set-up: the browser tests' Chromium is installed with apt when missing and allowed."""
import subprocess

import pytest

import conftest


class Apt:
    "Stands in for subprocess.run: records the commands, answers with the given exit codes."

    def __init__(self, codes=None, stderr=''):
        self.cmds, self.codes, self.stderr = [], dict(codes or {}), stderr

    def __call__(self, cmd, **kw):
        self.cmds.append(cmd)
        rc = next((c for k, c in self.codes.items() if k in ' '.join(cmd)), 0)
        return subprocess.CompletedProcess(cmd, rc, '', self.stderr if rc else '')


@pytest.fixture
def tools(monkeypatch):
    "Which programs `shutil.which` finds (a set the test fills)."
    found = set()
    monkeypatch.setattr(conftest.shutil, 'which', lambda name: f'/usr/bin/{name}' if name in found else None)
    return found


def test_root_installs_with_apt(tools):
    tools.add('apt-get')
    apt = Apt()
    assert conftest.install_browser(run=apt, euid=0) == ''
    assert apt.cmds == [['apt-get', 'update', '-q'],
                        ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'chromium', 'chromium-driver']]


def test_sudo_without_password(tools):
    tools.update({'apt-get', 'sudo'})
    apt = Apt()
    assert conftest.install_browser(run=apt, euid=1000) == ''
    assert apt.cmds[0] == ['sudo', '-n', 'true'] and all(c[:2] == ['sudo', '-n'] for c in apt.cmds)
    assert apt.cmds[-1][-2:] == ['chromium', 'chromium-driver']


def test_cannot_install_says_why(tools):
    assert conftest.install_browser(run=Apt(), euid=0) == 'no apt-get on this machine'
    tools.add('apt-get')
    assert conftest.install_browser(run=Apt(), euid=1000) == 'not root, and no sudo without a password'
    tools.add('sudo')
    apt = Apt({'sudo -n true': 1})
    assert conftest.install_browser(run=apt, euid=1000) == 'not root, and no sudo without a password'
    assert apt.cmds == [['sudo', '-n', 'true']]   # nothing installed
    apt = Apt({'install': 100}, stderr='Reading package lists...\nE: Unable to locate package chromium-driver\n')
    why = conftest.install_browser(run=apt, euid=0)
    assert why == 'apt-get install failed: E: Unable to locate package chromium-driver'


def test_fixture_fails_in_one_line(tools, monkeypatch):
    "A machine where the browser cannot be installed: the fixture's failure names the packages to install."
    monkeypatch.setattr(conftest, 'install_browser', lambda: 'not root, and no sudo without a password')
    with pytest.raises(pytest.fail.Exception) as e:
        conftest.chromium.__wrapped__()
    msg = str(e.value)
    assert '\n' not in msg and 'apt-get install chromium chromium-driver' in msg and 'no sudo' in msg


def test_fixture_installs_when_missing(tools, monkeypatch):
    calls = []

    def install():
        calls.append(1)
        tools.update({'chromium', 'chromedriver'})
        return ''

    monkeypatch.setattr(conftest, 'install_browser', install)
    assert conftest.chromium.__wrapped__() == ('/usr/bin/chromium', '/usr/bin/chromedriver')
    assert conftest.chromium.__wrapped__() == ('/usr/bin/chromium', '/usr/bin/chromedriver') and calls == [1]


def test_ci_runs_the_readme_command():
    "`.ci/run` runs the README's test command exactly as written, and installs the browser no other way."
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    readme = (root / 'README.md').read_text(encoding='utf-8')
    start = readme.index('Run the whole test suite')
    (cmd,) = [l for l in readme[start:readme.index('```\n', readme.index('```bash', start) + 7)].splitlines()
              if l.startswith('pip ')]
    assert cmd.endswith('python -m pytest tests -n 2')
    ci = (root / '.ci' / 'run').read_text(encoding='utf-8')
    assert ci.splitlines()[-1] == cmd
    assert 'apt-get' not in ci
