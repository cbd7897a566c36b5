"""Command-line front ends: one module per script (``src/*.py`` and the console scripts), each
with ``get_parser()`` and ``main(argv)``, and the demo (:mod:`.demo`, ``make demo``). They parse
flags, call the stages and print; the logic lives in the stages.

May import every other part of the package; nothing imports ``cli``.
"""
