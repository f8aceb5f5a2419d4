"""N-link MuJoCo swimmers: the MJCF generator and the single-environment factory.

Schmidgall et al. (2023) evolve the *C. elegans* locomotion circuit on a
Swimmer "comprised of 6 cylindrical links that are connected via 5 articulated
joints"; gymnasium's ``Swimmer-v5`` has 3 links and 2 joints.  This module
writes swimmer models with any number of links, built exactly like gymnasium's
``swimmer.xml`` (which :func:`swimmer_xml` reproduces for ``n_links=3``), and
makes gymnasium's own ``SwimmerEnv`` on them through its ``xml_file`` option.

References
----------
.. [1] Schmidgall, S., Schuman, C., Parsa, M. (2023). Biological connectomes as
   a representation for the architecture of artificial neural networks.
.. [2] Coulom, R. (2002). Reinforcement Learning Using Neural Networks, with
   Applications to Motor Control. PhD thesis, INPG.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from neuroworm.errors import TaskError
from neuroworm.validation import check_integer

__all__ = ["SWIMMER_GEOMETRY", "swimmer_env", "swimmer_xml", "swimmer_xml_path"]

#: The physical constants of gymnasium's ``swimmer.xml``, shared by every link count.
SWIMMER_GEOMETRY = {
    "link_length": 1.0,  # m; each capsule's axis spans 1 (gymnasium's prose says 0.1)
    "link_radius": 0.1,  # m, capsule radius
    "link_density": 1000.0,  # kg/m^3, gives each link's mass and inertia
    "fluid_density": 4000.0,  # kg/m^3, MuJoCo's <option density>
    "fluid_viscosity": 0.1,  # Pa s, MuJoCo's <option viscosity>
    "timestep": 0.01,  # s, integrated with RK4
    "armature": 0.1,  # kg m^2 added to every joint
    "joint_range_degrees": 100.0,  # each rotor is limited to +-100 degrees
    "gear": 150.0,  # N m of torque per unit of control in [-1, 1]
}

_HEADER = """<mujoco model="swimmer{n_links}">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option density="{fluid_density:g}" integrator="RK4" timestep="{timestep:g}" viscosity="{fluid_viscosity:g}"/>
  <default>
    <geom conaffinity="0" condim="1" contype="0" material="geom" rgba="0.8 0.6 .4 1"/>
    <joint armature="{armature:g}"/>
  </default>
  <asset>
    <texture builtin="gradient" height="100" rgb1="1 1 1" rgb2="0 0 0" type="skybox" width="100"/>
    <texture builtin="flat" height="1278" mark="cross" markrgb="1 1 1" name="texgeom" random="0.01" rgb1="0.8 0.6 0.4" rgb2="0.8 0.6 0.4" type="cube" width="127"/>
    <texture builtin="checker" height="100" name="texplane" rgb1="0 0 0" rgb2="0.8 0.8 0.8" type="2d" width="100"/>
    <material name="MatPlane" reflectance="0.5" shininess="1" specular="1" texrepeat="30 30" texture="texplane"/>
    <material name="geom" texture="texgeom" texuniform="true"/>
  </asset>
  <worldbody>
    <light cutoff="100" diffuse="1 1 1" dir="-0 0 -1.3" directional="true" exponent="1" pos="0 0 1.3" specular=".1 .1 .1"/>
    <geom condim="3" material="MatPlane" name="floor" pos="0 0 -0.1" rgba="0.8 0.9 0.8 1" size="40 40 0.1" type="plane"/>
"""


def _link_names(n_links):
    """Body names: gymnasium's ``torso``/``mid``/``back`` for 3 links, numbered ``mid`` links beyond."""
    if n_links == 3:
        return ["torso", "mid", "back"]
    return ["torso", *(f"mid{k}" for k in range(1, n_links - 1)), "back"]


def swimmer_xml(n_links=6):
    """Return the MJCF text of a planar swimmer with ``n_links`` links.

    The model is gymnasium's ``swimmer.xml`` with more (or fewer) links: a
    chain of capsules in a viscous fluid, each joined to the next by a hinge
    ("rotor") driven by a torque motor.

    * The head link (``torso``) spans x = 1.5 to 0.5 and carries the three
      root joints ``slider1``, ``slider2`` (x, y translation) and
      ``free_body_rot`` (rotation about z) at its frame origin, as in gymnasium.
    * Link k >= 1 starts where link k - 1 ends and extends 1 m towards -x; it
      is attached by hinge ``motor{k}_rot`` about z, limited to +-100 degrees.
    * Every link is a capsule of radius 0.1 m and density 1000 kg/m^3; every
      joint has armature 0.1; the fluid has density 4000 kg/m^3 and viscosity
      0.1; RK4 integration with a 0.01 s time step (see :data:`SWIMMER_GEOMETRY`).
    * One motor per rotor, gear 150, control range [-1, 1].

    So the swimmer has ``n_links - 1`` actuators, ``nq = nv = n_links + 2``
    and, excluding the x-y position, ``2 * n_links + 2`` observations.  For
    ``n_links=3`` the compiled model equals gymnasium's (same masses,
    inertias, joints and actuators), which the tests check by simulation.

    Parameters
    ----------
    n_links : int, default 6
        Number of links, at least 2 (Schmidgall et al. 2023 use 6).

    Returns
    -------
    str
        MJCF document.

    Raises
    ------
    TaskError
        If ``n_links`` is not an integer >= 2.
    """
    n_links = _check_n_links(n_links)
    geometry = SWIMMER_GEOMETRY
    names = _link_names(n_links)
    capsule = f'density="{geometry["link_density"]:g}" size="{geometry["link_radius"]:g}" type="capsule"'
    limit = f'limited="true" range="-{geometry["joint_range_degrees"]:g} {geometry["joint_range_degrees"]:g}"'
    lines = [_HEADER.format(n_links=n_links, **geometry).rstrip("\n")]
    lines += [
        "    <!--  ================= SWIMMER ================= /-->",
        '    <body name="torso" pos="0 0 0">',
        '      <camera name="track" mode="trackcom" pos="0 -3 3" xyaxes="1 0 0 0 1 1"/>',
        f'      <geom fromto="1.5 0 0 0.5 0 0" {capsule}/>',
        '      <joint axis="1 0 0" name="slider1" pos="0 0 0" type="slide"/>',
        '      <joint axis="0 1 0" name="slider2" pos="0 0 0" type="slide"/>',
        '      <joint axis="0 0 1" name="free_body_rot" pos="0 0 0" type="hinge"/>',
    ]
    indent = "      "
    for k in range(1, n_links):
        position = "0.5 0 0" if k == 1 else f"-{geometry['link_length']:g} 0 0"
        lines += [
            f'{indent}<body name="{names[k]}" pos="{position}">',
            f'{indent}  <geom fromto="0 0 0 -{geometry["link_length"]:g} 0 0" {capsule}/>',
            f'{indent}  <joint axis="0 0 1" {limit} name="motor{k}_rot" pos="0 0 0" type="hinge"/>',
        ]
        indent += "  "
    for k in range(n_links - 1, -1, -1):
        lines.append(f"{'    ' + '  ' * k}</body>")
    lines += ["  </worldbody>", "  <actuator>"]
    lines += [
        f'    <motor ctrllimited="true" ctrlrange="-1 1" gear="{geometry["gear"]:g}" joint="motor{k}_rot"/>'
        for k in range(1, n_links)
    ]
    lines += ["  </actuator>", "</mujoco>", ""]
    return "\n".join(lines)


def swimmer_xml_path(n_links=6, directory=None):
    """Write :func:`swimmer_xml` to a file (once) and return its path.

    gymnasium's ``SwimmerEnv`` reads its model from a file, so the generated
    MJCF is cached under ``directory``; the file name carries a hash of the
    text, so a changed generator never reuses a stale file.

    Parameters
    ----------
    n_links : int, default 6
    directory : str or path-like, optional
        Where to write; by default ``<tempdir>/neuroworm-mjcf``.

    Returns
    -------
    str
        Absolute path of the MJCF file.
    """
    text = swimmer_xml(n_links)
    directory = Path(directory) if directory is not None else Path(tempfile.gettempdir()) / "neuroworm-mjcf"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = directory.absolute() / f"swimmer{n_links}_{digest}.xml"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(text)
        os.replace(scratch, path)  # atomic: concurrent writers leave one whole file
    return str(path)


def swimmer_env(n_links=6, **kwargs):
    r"""Make gymnasium's ``SwimmerEnv`` with ``n_links`` links (``neuroworm/Swimmer6-v0``, ``neuroworm/SwimmerN-v0``).

    ## Description

    The planar swimmer of Coulom (2002) and gymnasium's ``Swimmer-v5``,
    lengthened to ``n_links`` links joined by ``n_links - 1`` rotors, as in
    Schmidgall et al. (2023), whose worm-like Swimmer has 6 links and 5 joints
    (``neuroworm/Swimmer6-v0``).  ``neuroworm/SwimmerN-v0`` takes ``n_links``
    (default 3, which reproduces ``Swimmer-v5``).  The body is built by
    :func:`swimmer_xml`; everything else is gymnasium's ``SwimmerEnv``.

    ## Action Space

    ``Box(-1, 1, (n_links - 1,), float32)``: the torque on each rotor, head to
    tail (``motor1_rot`` ... ``motor{n_links-1}_rot``), times gear 150.

    ## Observation Space

    ``Box(-inf, inf, (2 * n_links + 2,), float64)`` by default (``(14,)`` for
    Swimmer6): the angle of the head (``free_body_rot``), the ``n_links - 1``
    rotor angles, the head's x and y velocity, the head's angular velocity and
    the ``n_links - 1`` rotor angular velocities.  With
    ``exclude_current_positions_from_observation=False`` the head's x and y
    position come first (``2 * n_links + 4`` elements).

    ## Rewards

    ``forward_reward_weight * dx/dt - ctrl_cost_weight * sum(action**2)``
    where ``dx`` is the head's displacement along x over one step of
    ``dt = frame_skip * 0.01`` s (0.04 s by default).

    ## Starting State

    ``qpos`` and ``qvel`` are zero plus independent uniform noise on
    ``[-reset_noise_scale, reset_noise_scale]``, drawn from the env's
    ``np_random`` (positions first).

    ## Episode End

    Never terminates; truncated after 1000 steps (``max_episode_steps``).

    ## Arguments

    ``n_links`` (int, default 6 for ``Swimmer6-v0``, 3 for ``SwimmerN-v0``)
    plus every argument of gymnasium's ``Swimmer-v5`` except ``xml_file``:
    ``frame_skip`` (4), ``forward_reward_weight`` (1.0),
    ``ctrl_cost_weight`` (1e-4), ``reset_noise_scale`` (0.1),
    ``exclude_current_positions_from_observation`` (True),
    ``default_camera_config``, ``render_mode``.

    ## Version History

    * v0: first version, on gymnasium's ``Swimmer-v5`` (mujoco >= 2.3.3).

    Parameters
    ----------
    n_links : int, default 6
        Number of links, at least 2.
    **kwargs
        Passed to ``gymnasium.envs.mujoco.swimmer_v5.SwimmerEnv``.

    Returns
    -------
    gymnasium.envs.mujoco.swimmer_v5.SwimmerEnv

    Raises
    ------
    TaskError
        If ``xml_file`` is given (the body is set by ``n_links``) or
        ``n_links`` is invalid.
    """
    if "xml_file" in kwargs:
        raise TaskError(
            "swimmer_env: 'xml_file' cannot be combined with 'n_links'; "
            "use gymnasium's Swimmer-v5 for a custom model file"
        )
    from gymnasium.envs.mujoco.swimmer_v5 import SwimmerEnv

    return SwimmerEnv(xml_file=swimmer_xml_path(n_links), **kwargs)


def _check_n_links(n_links):
    return check_integer("n_links", n_links, minimum=2, error=TaskError)
