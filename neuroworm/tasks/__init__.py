"""Tasks: gymnasium environments, batched MuJoCo bodies, and their registration.

Importing this package registers ``neuroworm/Swimmer6-v0`` and
``neuroworm/SwimmerN-v0`` with gymnasium; MuJoCo itself is imported only when
an environment is made.
"""

from neuroworm.tasks.batched_mujoco import (
    BatchedHalfCheetah,
    BatchedMujocoEnv,
    BatchedSwimmer,
)
from neuroworm.tasks.mnist import MNISTData, MNISTSplit, load_mnist, split_mnist
from neuroworm.tasks.registration import (
    BATCHED_ENV_IDS,
    NEUROWORM_ENV_IDS,
    make_vec,
    register_envs,
    task_dimensions,
)
from neuroworm.tasks.swimmer_model import swimmer_env, swimmer_xml, swimmer_xml_path

__all__ = [
    "BATCHED_ENV_IDS",
    "NEUROWORM_ENV_IDS",
    "BatchedHalfCheetah",
    "BatchedMujocoEnv",
    "BatchedSwimmer",
    "MNISTData",
    "MNISTSplit",
    "load_mnist",
    "make_vec",
    "register_envs",
    "split_mnist",
    "swimmer_env",
    "swimmer_xml",
    "swimmer_xml_path",
    "task_dimensions",
]
