"""Where the bundled data lives, in a source checkout and in an installed wheel.

The repository keeps ``connectome_data/`` and ``models/`` at its top level
(see DESIGN.md); ``setup.cfg`` ships them inside the package as
``neuroworm/bundled/connectome_data`` and ``neuroworm/bundled/models``.
"""

from pathlib import Path

from .errors import NeuroWormError

__all__ = ["bundled_path"]

_BUNDLED_FOLDERS = ("connectome_data", "models")


def bundled_path(folder, *parts):
    """Path of a bundled file or folder.

    Parameters
    ----------
    folder : {"connectome_data", "models"}
        The top-level data folder.
    *parts : str
        Path components inside it.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NeuroWormError
        If ``folder`` is not a bundled folder, or neither the installed nor
        the source copy exists.
    """
    if folder not in _BUNDLED_FOLDERS:
        raise NeuroWormError(f"bundled folder must be one of {_BUNDLED_FOLDERS}, got {folder!r}")
    package = Path(__file__).resolve().parent
    for base in (package / "bundled" / folder, package.parent / folder):
        if base.is_dir():
            return base.joinpath(*parts)
    raise NeuroWormError(
        f"the bundled folder {folder!r} was found neither in {package / 'bundled'} nor in {package.parent}; "
        "reinstall neuroworm (pip install .)"
    )
