"""docs/cli.md names every dataset field the CLI adds to TRL's ScriptArguments (the fields `grpo-plus train` reads
beside GRPOPlusConfig's, which docs/configuration.md lists, and ModelConfig's, which are TRL's)."""

from __future__ import annotations

from dataclasses import fields

from tests.docs.snippets import REPO


def test_cli_page_names_every_dataset_field():
    from trl import ScriptArguments

    from grpo_plus import cli

    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    trl_fields = {f.name for f in fields(ScriptArguments)}
    ours = [f.name for f in fields(cli.DatasetArguments) if f.name not in trl_fields]
    missing = [name for name in ours if f"`{name}`" not in page]
    assert ours and not missing, f"docs/cli.md does not name the dataset fields {missing}"
