"""docs/rewards.md's table of rewards is the registry's: every registered reward with its level and its description
(the first line of its docstring, which ``grpo-plus rewards list`` prints), and nothing else."""

from __future__ import annotations

from tests.docs.snippets import REPO


def page_table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (REPO / "docs" / "rewards.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 3 and cells[1] in ("outcome", "step"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def test_rewards_page_lists_every_registered_reward_with_its_level_and_description():
    import rewards

    registered = {info.name: (info.level, info.description) for info in rewards.list_rewards()}
    assert page_table() == registered
