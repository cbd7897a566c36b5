"""tools/make_model.py: the recipe it trains with, and flags appended for an experiment."""

from __future__ import annotations

import argparse

import pytest

from conftest import tool_module
from disclabel.training.recipe import recipe_args


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


@pytest.mark.parametrize("extra, says", [
    ("--featurs 128", "does not take --featurs 128"),
    ("--features wide", "refuses it"),
    ("--seed '7", "No closing quotation"),
])
def test_bad_extra_flags_stop_before_any_work(extra: str, says: str, tmp_path, capsys) -> None:
    make_model = tool_module("make_model")
    with pytest.raises(SystemExit) as stop:
        make_model.main(["--work", str(tmp_path / "work"), "--extra", extra])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert says in err and "--extra" in err
    assert not (tmp_path / "work").exists()
