"""The README's "Explain your own model" example, run exactly as written (Python and command line), offline."""
import re, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / 'README.md').read_text(encoding='utf-8')
SECTION = README[README.index('## Explain your own model'):README.index("## The paper's setting")]


def blocks(lang):
    return re.findall(rf'```{lang}\n(.*?)```', SECTION, flags=re.S)


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    "A folder with what the example assumes: `my_resnet18.pt` (a user's ResNet-18 weights) and `my_images/`."
    import torch, torchvision
    from neuron_concepts.resources import bundled_probe
    d = tmp_path_factory.mktemp('readme')
    g = torch.Generator().manual_seed(0)
    net = torchvision.models.resnet18()
    with torch.no_grad():
        for p in net.parameters(): p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    torch.save(net.state_dict(), d / 'my_resnet18.pt')
    (d / 'my_images').mkdir()
    for f in sorted(bundled_probe().glob('*.JPEG'))[:16]: shutil.copy(f, d / 'my_images' / f.name)
    return d


@pytest.mark.slow
def test_readme_python_example(workdir):
    (code,) = blocks('python')
    assert len(code.strip().splitlines()) <= 10
    r = subprocess.run([sys.executable, '-c', code], cwd=workdir, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith('{0: ['), r.stdout      # each unit's concept words
    import pandas as pd
    ex = pd.read_csv(workdir / 'runs' / 'mine' / 'examples.csv')
    assert set(ex.layer) == {'layer3', 'layer4'}


@pytest.mark.slow
def test_readme_command_line(workdir):
    (cmd,) = blocks('bash')
    args = cmd.split()
    assert args[0] == 'neuron-concepts'
    r = subprocess.run(args + ['--quiet'], cwd=workdir, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    import pandas as pd
    ex = pd.read_csv(workdir / 'runs' / 'mine-cli' / 'examples.csv')
    assert set(ex.layer) == {'layer3', 'layer4'}
