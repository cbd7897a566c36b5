"""tools/make_model.py: the recipe it trains with, and flags appended for an experiment."""

from __future__ import annotations

import argparse

from conftest import tool_module

from disclabel.recipe import recipe_args


def _parsed(args: list[str]) -> argparse.Namespace:
    """main.py's parser on a recipe (every flag it takes, defaults for the rest)."""
    from disclabel.cli.main import get_parser
    return get_parser().parse_args(["--datapath", "x", *args])


def test_extra_flags_follow_the_recipe_and_win() -> None:
    make_model = tool_module("make_model")
    plain = make_model.training_recipe(None)
    assert plain == recipe_args()
    wider = make_model.training_recipe(30, "--features 128  --seed '7'")
    assert wider[-4:] == ["--features", "128", "--seed", "7"]
    assert _parsed(plain).features == 64
    parsed = _parsed(wider)
    assert (parsed.features, parsed.seed, parsed.epochs) == (128, 7, 30)
