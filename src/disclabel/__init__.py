"""disclabel: intervertebral disc labeling in spine MRI with a stacked hourglass network.

The package holds all the logic; the scripts in ``src/`` are thin wrappers around
:mod:`disclabel.cli`.
"""

__version__ = "0.1.0"
