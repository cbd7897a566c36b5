"""Command-line front ends: one module per script, each with ``get_parser()`` and ``main(argv)``."""
