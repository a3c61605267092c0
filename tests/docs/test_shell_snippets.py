"""The ```bash snippets of README.md and docs/*.md name only commands, subcommands, flags and files that exist.

Nothing is run (a training run or a benchmark takes minutes): each command line is checked against what would
receive it.

- ``grpo-plus train ...`` is parsed by the CLI's own parser (``grpo_plus.cli.parse_train_args``, which reads the named
  config file and rejects unknown fields, flags and values before anything loads); ``grpo-plus rewards`` and
  ``grpo-plus plot`` by the top-level parser.
- ``accelerate launch [options] -m grpo_plus.cli train ...`` / ``accelerate launch [options] SCRIPT ...``: the
  ``--config_file`` exists and the rest is checked as the module or script it starts.
- ``python -m MODULE`` resolves (``benchmarks.run``: ``--only`` names its modules or experiments); ``python SCRIPT``
  exists.
- ``pip install`` and ``pytest`` lines are the quick start's, whose test command must be ``.ci/run``'s, byte for byte.
- Every repository path a line names (``configs/...``, ``examples/...``) exists.
"""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest

from tests.docs.snippets import REPO, all_snippets

SNIPPETS = all_snippets("bash")
_REPO_PATH = re.compile(r"^(configs|examples|benchmarks|tests|grpo_plus|rewards|docs)/\S+\.\w+$")


def commands(code: str) -> list[list[str]]:
    """Each shell command of a snippet as argv (comments stripped, ``a && b`` split)."""
    found = []
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            found.append(words[:cut])
            words = words[cut + 1 :]
    return [argv for argv in found if argv]


def _repo_file(name: str) -> str:
    path = REPO / name
    assert path.is_file(), f"{name} does not exist"
    return str(path)


def check_grpo_plus(argv: list[str]) -> None:
    from grpo_plus import cli

    if argv[:1] == ["train"]:
        args = list(argv[1:])
        if "--config" in args:
            at = args.index("--config") + 1
            args[at] = _repo_file(args[at])
        cli.parse_train_args(args)
    else:
        cli._top_parser().parse_args(argv)


def check_python(argv: list[str]) -> None:
    if argv[0] != "-m":
        _repo_file(argv[0])
        return
    module, args = argv[1], argv[2:]
    assert importlib.util.find_spec(module) is not None, f"no module {module}"
    if module == "benchmarks.run":
        from benchmarks import run

        names = [a for a in args if not a.startswith("--")]
        assert set(a for a in args if a.startswith("--")) <= {"--quick", "--only"}, args
        assert set(names) <= set(run.MODULES + run.EXPERIMENTS), names


def check_accelerate(argv: list[str]) -> None:
    assert argv[0] == "launch", argv
    args = argv[1:]
    while args and args[0].startswith("--"):
        if args[0] == "--config_file":
            _repo_file(args[1])
        args = args[1:] if args[0] in {"--multi_gpu", "--cpu"} else args[2:]
    if args[:2] == ["-m", "grpo_plus.cli"]:
        check_grpo_plus(args[2:])
    else:
        _repo_file(args[0])
        if "--config" in args:
            _repo_file(args[args.index("--config") + 1])


CHECKS = {
    "grpo-plus": check_grpo_plus,
    "python": check_python,
    "accelerate": check_accelerate,
    "pip": lambda argv: None,  # the quick start's installs (test_readme_test_command_is_what_ci_runs)
    "pytest": lambda argv: None,
}


@pytest.mark.parametrize("snippet", SNIPPETS, ids=str)
def test_shell_snippet_names_what_exists(snippet, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argvs = commands(snippet.code)
    assert argvs, f"{snippet} has no command"
    for argv in argvs:
        assert argv[0] in CHECKS, f"{snippet}: no check for {argv[0]!r}; add one to CHECKS in {__name__}"
        for word in argv:
            if _REPO_PATH.match(word):
                _repo_file(word)
        CHECKS[argv[0]](argv[1:])


def test_readme_quick_start_is_two_commands_and_its_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = all_snippets("bash")[0]
    assert first.path == "README.md" and readme.index("```bash") < readme.index("\n## ", readme.index("## Quick start"))
    demo, tests = first.code.splitlines()
    assert demo.split("#")[0].strip().endswith("&& grpo-plus train")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests.split("#")[0].strip() == ci[-1]
