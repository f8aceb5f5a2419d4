"""The FlyWire Codex file format: neurotransmitter codes, cell classes, root ids.

Shared by the strict reader (:mod:`neuroworm.connectome.strict`) and the
columnar one (:mod:`neuroworm.connectome.columnar`), so neither takes the
other's private names.
"""

import re

__all__ = ["CONTROL_CHARACTERS", "FLYWIRE_CLASSES", "FLYWIRE_NEUROTRANSMITTERS", "FLYWIRE_UNKNOWN_NT", "ROOT_ID"]

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Characters refused inside a cell name (a NUL byte, an escape sequence), in every file format."""
ROOT_ID = re.compile(r"[0-9]+")
"""A FlyWire root id as written in a Codex file: digits only (not ``7.2e17``)."""

FLYWIRE_NEUROTRANSMITTERS = {
    "ACH": ("acetylcholine", 1),
    "GABA": ("GABA", -1),
    "GLUT": ("glutamate", -1),
    "SER": ("serotonin", 0),
    "DA": ("dopamine", 0),
    "OCT": ("octopamine", 0),
}
"""FlyWire ``nt_type`` code → (neurotransmitter, sign). Glutamate is inhibitory
in the fly central brain (glutamate-gated chloride channel GluClα; Liu &
Wilson 2013); the monoamines are modulatory and left unsigned (0)."""

FLYWIRE_UNKNOWN_NT = {"", "NAN", "NA", "NONE", "UNKNOWN"}
"""``nt_type`` values (upper-cased, stripped) meaning no prediction."""
FLYWIRE_CLASSES = {
    "sensory": "sensory", "motor": "motor", "endocrine": "other", "central": "inter", "optic": "inter",
    "ascending": "inter", "descending": "inter", "visual_projection": "inter", "visual_centrifugal": "inter",
}
