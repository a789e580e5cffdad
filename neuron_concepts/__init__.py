__version__ = "0.1.0"
"""What has this neuron learned? WWW and Grad-CAM crop + t-vMF neuron concepts, for any torch image model.

Start from `explain` (or `run` with a `RunConfig`); the other names are the pieces a user combines."""

from .errors import NeuronConceptsError
from .resources import load_concepts, ConceptSet
from .probe import read_probe, ProbeSet
from .models import load_model, wrap_model, TargetModel
from .encoders import load_encoder
from .pipeline import explain, run, RunConfig, Explanation, RunResult, demo_config
from .outputs import write_outputs
from .eval import evaluate_run
from .importance import explain_prediction, class_importance
from .report import write_report
from .faithfulness import faithfulness

__all__ = ['explain', 'run', 'RunConfig', 'Explanation', 'RunResult', 'demo_config', 'read_probe', 'ProbeSet',
           'load_model', 'wrap_model', 'TargetModel', 'load_encoder', 'load_concepts', 'ConceptSet',
           'write_outputs', 'evaluate_run', 'explain_prediction', 'class_importance', 'write_report',
           'faithfulness', 'NeuronConceptsError']
