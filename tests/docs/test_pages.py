"""README.md and docs/*.md as a whole: every fence is in a language that is tested, the README stays a front door
(short, linking every page), and relative links lead to files that exist."""

from __future__ import annotations

import re

import pytest

from tests.docs.snippets import REPO, all_snippets, doc_files, parse_snippets

# language -> the test module that checks its snippets ("text": formulas and prose, nothing to run)
TESTED = {
    "python": "test_python_snippets", "yaml": "test_config_snippets", "json": "test_config_snippets",
    "toml": "test_config_snippets", "bash": "test_shell_snippets", "text": None,
}
README_MAX_LINES = 250
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_snippet_is_in_a_tested_language():
    untested = [str(s) for s in all_snippets() if s.lang not in TESTED]
    assert not untested, f"label these fences with one of {sorted(TESTED)} (or add a test for the language)"


def test_fences_are_found_with_their_language_index_and_indentation():
    text = "intro\n```python\nx = 1\n```\n- item:\n\n  ```python\n  y = 2\n  ```\n\n```bash\nls\n```\n"
    found = parse_snippets(text, "page.md")
    assert [(str(s), s.code) for s in found] == [
        ("page.md:python1@L2", "x = 1\n"), ("page.md:python2@L7", "y = 2\n"), ("page.md:bash1@L11", "ls\n"),
    ]
    with pytest.raises(ValueError, match="page.md:1: the fence opened here is never closed"):
        parse_snippets("```python\nx = 1\n", "page.md")


def test_readme_is_a_front_door_that_links_every_docs_page():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES, "move reference material to a docs/ page"
    linked = {link.split("#")[0] for link in _LINK.findall(readme)}
    missing = [p.relative_to(REPO).as_posix() for p in doc_files()[1:] if p.relative_to(REPO).as_posix() not in linked]
    assert not missing, f"README.md does not link {missing}"


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_lead_to_existing_files_and_headings(page):
    text = page.read_text(encoding="utf-8")
    for link in _LINK.findall(text):
        if re.match(r"^[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        path = page.parent / target if target else page
        assert path.exists(), f"{page.name} links {link}, which does not exist"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path.read_text(encoding="utf-8")), f"{page.name} links {link}: no such heading"


def test_every_config_and_example_is_named_on_a_page():
    """A run config or an example script nobody can find is as good as missing: each is named in README.md or docs/."""
    text = "".join(page.read_text(encoding="utf-8") for page in doc_files())
    files = sorted((REPO / "configs").glob("*.yaml")) + sorted((REPO / "configs" / "accelerate").glob("*.yaml"))
    files += [p for p in sorted((REPO / "examples").glob("*.py")) if not p.name.startswith("_")]
    unnamed = [p.relative_to(REPO).as_posix() for p in files if p.name not in text]
    assert not unnamed, f"name these in README.md or a docs/ page: {unnamed}"


_CODE_PATH = re.compile(r"`((?:configs|examples|benchmarks|tests|grpo_plus|docs|\.ci)/[^`\s]*|rewards/\w+\.py)`")


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_repository_paths_in_code_spans_exist(page):
    """`grpo_plus/cli.py`, `configs/demo.yaml`, `benchmarks/results/...`: a path a page names is there (a moved file
    shows up here). Metric names such as `rewards/accuracy/mean` are not paths and are not matched."""
    missing = []
    for span in _CODE_PATH.findall(page.read_text(encoding="utf-8")):
        path, _, test = span.partition("::")  # a pytest node id names a test of that file
        if not (REPO / path).exists() or (test and f"def {test}(" not in (REPO / path).read_text(encoding="utf-8")):
            missing.append(span)
    assert not missing, f"{page.name} names {missing}, which do not exist"
