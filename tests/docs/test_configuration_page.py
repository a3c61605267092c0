"""What docs/configuration.md says besides its generated table (the table itself: tests/grpo_plus/test_config.py)."""

from __future__ import annotations

from dataclasses import fields


def test_every_trl_field_keeps_its_default():
    """The page: "every TRL field ... keeps its meaning and its default" — after __post_init__ too."""
    from trl import GRPOConfig

    from grpo_plus import GRPOPlusConfig

    ours, trls = GRPOPlusConfig(output_dir="out", use_cpu=True), GRPOConfig(output_dir="out", use_cpu=True)
    changed = [f.name for f in fields(GRPOConfig) if getattr(ours, f.name) != getattr(trls, f.name)]
    assert not changed
