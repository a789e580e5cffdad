__version__ = "0.1.0"
"""What has this neuron learned? WWW and Grad-CAM crop + t-vMF neuron concepts, for any torch image model.

Start from `explain` (or `run` with a `RunConfig`); the other names are the pieces a user combines. They are
imported on first use, so `import neuron_concepts` (and the command line's --help) loads no torch."""

import importlib

_WHERE = dict(  # name -> the module that defines it
    NeuronConceptsError='errors', load_concepts='resources', ConceptSet='resources', read_probe='probe',
    ProbeSet='probe', load_model='loading', wrap_model='models', TargetModel='models', load_encoder='encoders',
    explain='pipeline', run='pipeline', RunConfig='config', Explanation='results', RunResult='results',
    demo_config='config', write_outputs='outputs', evaluate_run='eval', explain_prediction='importance',
    class_importance='importance', write_report='report', faithfulness='faithfulness',
)

__all__ = ['explain', 'run', 'RunConfig', 'Explanation', 'RunResult', 'demo_config', 'read_probe', 'ProbeSet',
           'load_model', 'wrap_model', 'TargetModel', 'load_encoder', 'load_concepts', 'ConceptSet',
           'write_outputs', 'evaluate_run', 'explain_prediction', 'class_importance', 'write_report',
           'faithfulness', 'NeuronConceptsError']


def __getattr__(name):
    "The public names, imported from their modules on first use."
    if name in _WHERE:
        value = getattr(importlib.import_module(f'.{_WHERE[name]}', __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(set(globals()) | set(__all__))
