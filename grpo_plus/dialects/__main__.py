"""``python -m grpo_plus.dialects``: print docs/llamafactory.md's "Coming from LLaMA-Factory" mapping table."""

from grpo_plus.dialects.llamafactory import config_mapping_markdown

print(config_mapping_markdown())
