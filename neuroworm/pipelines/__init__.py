"""What users script: the ES -> GA -> fine-tuning pre-training, ``neuroworm evolve``, the demo, NNE and
ElegansNet training runs, and the run folder (lock, settings fingerprint, resume refusal) they share.

Paper items (``neuroworm.papers``) sit above this layer and call into it; nothing here knows a paper's item.
"""

from .config import list_experiment_configs, load_experiment_config

__all__ = ["list_experiment_configs", "load_experiment_config"]
