"""The documentation stays true: every flag that README.md and docs/ show for a script is one that
script accepts, and every relative link and picture resolves (to a file, and to a heading of it
when the link names one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO
from disclabel.cli import create_dataset, label, main, make_res_gif, prepare_trainset, test

PAGES = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
SCRIPTS = {"label": label, "main": main, "test": test, "create_dataset": create_dataset,
           "prepare_trainset": prepare_trainset, "make_res_gif": make_res_gif}
CONSOLE = {"disclabel-label": "label", "disclabel-train": "main", "disclabel-test": "test",
           "disclabel-create-dataset": "create_dataset",
           "disclabel-prepare-trainset": "prepare_trainset",
           "disclabel-make-res-gif": "make_res_gif"}
SCRIPT = re.compile(r"(?:src/)?\b(" + "|".join(SCRIPTS) + r")\.py\b|\b("
                    + "|".join(map(re.escape, CONSOLE)) + r")\b")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9_-]*)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def accepted(script: str) -> set[str]:
    parser = SCRIPTS[script].get_parser()
    return set(parser._option_string_actions)  # every flag, aliases included


def commands(text: str) -> list[str]:
    """Shell commands shown on a page: the lines of fenced code blocks (continuations joined)
    and inline code spans."""
    out = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        out += block.replace("\\\n", " ").splitlines()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    out += re.findall(r"`([^`\n]+)`", prose)
    return out


def shown_flags() -> list[tuple[str, str, str]]:
    """(page, script, flag) for every flag written after a script's name in one command, and
    for the flag tables of docs/scripts.md and docs/labelling.md."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for command in commands(text):
            for part in re.split(r"&&|;|\|\|| \| ", command):
                part = part.split(" #")[0]
                match = SCRIPT.search(part)
                if match:
                    script = match.group(1) or CONSOLE[match.group(2)]
                    found += [(page.name, script, f) for f in FLAG.findall(part[match.end():])]
        section = None
        for line in text.splitlines():
            heading = re.match(r"#+ .*?`src/(\w+)\.py`", line)
            if heading:
                section = heading.group(1)
            elif line.startswith("## Commands") and page.name == "labelling.md":
                section = "label"
            elif line.startswith("#"):
                section = None
            elif section and line.startswith("| `-"):
                cell = line.split("|")[1]
                found += [(page.name, section, f) for f in FLAG.findall(cell)]
    return found


def test_every_flag_shown_is_accepted_by_its_script():
    flags = shown_flags()
    assert len({(s, f) for _, s, f in flags}) > 60  # the tables and commands are read
    missing = sorted({(p, s, f) for p, s, f in flags if f not in accepted(s)})
    assert not missing, missing


def test_the_flag_check_catches_a_flag_that_does_not_exist():
    assert "--no-such-flag" not in accepted("label")
    text = "```bash\npython src/label.py a.nii.gz --no-such-flag\n```\n"
    parts = [c for c in commands(text) if SCRIPT.search(c)]
    assert parts and FLAG.findall(parts[0]) == ["--no-such-flag"]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_and_picture_resolves(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    links = LINK.findall(text)
    for target in links:
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target} does not exist"
        if fragment and file.suffix == ".md":
            assert fragment in anchors(file), f"{page.name}: no heading #{fragment} in {file.name}"


def test_the_readme_is_short_and_every_docs_page_is_linked_from_it():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 320
    for page in (REPO / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name
