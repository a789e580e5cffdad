"""A run killed with SIGKILL at several moments resumes to byte-identical outputs (tools/kill_resume.py)."""
import importlib.util
from pathlib import Path

import pytest


@pytest.mark.slow
def test_kill_and_resume(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('kill_resume', Path(__file__).resolve().parent.parent / 'tools' / 'kill_resume.py')
    kr = importlib.util.module_from_spec(spec); spec.loader.exec_module(kr)
    ok = kr.main(tmp_path)
    out = capsys.readouterr().out
    assert ok, out
    assert out.count('killed mid-run') >= 5, out   # most kill points really interrupted a running process
