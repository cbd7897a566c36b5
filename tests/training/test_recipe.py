"""The shipped recipe's flags: another budget scales the schedule and leaves the recipe as it is."""

from disclabel.training.recipe import MODEL_ARGS, TRAIN_ARGS, flag_value, recipe_args


def test_recipe_with_another_budget_scales_the_schedule():
    short = recipe_args(24)
    assert flag_value(short, "--epochs") == "24"
    assert flag_value(short, "--schedule") == "18"  # 45 of 60 epochs -> 18 of 24
    assert recipe_args() == MODEL_ARGS + TRAIN_ARGS
    assert flag_value(TRAIN_ARGS, "--epochs") == "60"


def test_flag_value_is_the_one_main_py_keeps():
    """A flag given twice (an experiment's extra flags after the recipe's): the last wins, as
    in argparse."""
    args = ["--synthetic-style", "v10", "--seed", "42", "--synthetic-style", "v11"]
    assert flag_value(args, "--synthetic-style") == "v11"
    assert flag_value(args, "--seed") == "42"
