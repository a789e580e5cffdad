"""Rebuild the data shipped inside the package from the project's shared data folder.

Usage: python tools/make_package_data.py SHARED_DATA_DIR

Writes neuron_concepts/data/: the concept vocabularies, WordNet's noun hierarchy, the ImageNet class index and the small
bundled probe set (downsized JPEGs). See neuron_concepts/data/README.md for provenance.
"""
import gzip, shutil, sys
from pathlib import Path
from PIL import Image

FIG3_UNITS = (0, 10, 296, 446, 460, 479, 671, 742, 850)  # the paper's qualitative neurons
SHORT_SIDE, QUALITY = 256, 90


def main(shared):
    shared, out = Path(shared), Path(__file__).resolve().parent.parent / 'neuron_concepts' / 'data'
    (out / 'concepts').mkdir(parents=True, exist_ok=True)
    for name in ('imagenet_labels.txt', 'broden_labels_clean.txt', 'categories_places365.txt'):
        shutil.copyfile(shared / 'concepts' / name, out / 'concepts' / name)
    for name in ('wordnet_nouns.tsv', 'wordnet_hypernyms.tsv'):  # gzip-compressed, reproducibly (no mtime)
        with open(shared / 'concepts' / name, 'rb') as src, \
                gzip.GzipFile(out / 'concepts' / f'{name}.gz', 'wb', mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    files = sorted((shared / 'imagenet-samples').glob('*.JPEG'))
    assert len(files) == 1000, len(files)
    (out / 'imagenet_wnids.txt').write_text('\n'.join(f.name.split('_')[0] for f in files) + '\n')
    probe = out / 'probe'
    shutil.rmtree(probe, ignore_errors=True)
    probe.mkdir()
    rows = ['file,label']
    for i, f in enumerate(files):
        if i % 2 and i not in FIG3_UNITS: continue
        im = Image.open(f)
        im.load()
        w, h = im.size
        s = SHORT_SIDE / min(w, h)
        if s < 1: im = im.resize((round(w * s), round(h * s)), Image.LANCZOS)
        im.save(probe / f.name, 'JPEG', quality=QUALITY)
        rows.append(f'{f.name},{i}')
    (probe / 'labels.csv').write_text('\n'.join(rows) + '\n')


if __name__ == '__main__': main(sys.argv[1])
