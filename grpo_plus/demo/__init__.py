"""The embedded offline demo (``grpo-plus train`` with no arguments) and the tiny models of the test suite.

- :mod:`grpo_plus.demo.tiny`: tiny Qwen2 models and byte-level / SentencePiece-style tokenizers, built in a second;
- :mod:`grpo_plus.demo.data`: seeded single-digit arithmetic problems (``prompt`` / ``solution`` columns);
- :mod:`grpo_plus.demo.warmstart`: the cached supervised warm start (a sloppy teacher's worked examples);
- :mod:`grpo_plus.demo.run`: :func:`~grpo_plus.demo.run.run_demo`, GRPO from the warm start with the registry's
  ``accuracy`` and ``format`` rewards, returning a before/after summary;
- :mod:`grpo_plus.demo.multistep`: the ``multistep`` task, chains of 2–4 dependent operations with a reference
  solution per problem (for process rewards) and its warm start; :mod:`grpo_plus.demo.evaluation`: greedy held-out
  evaluation (accuracy, steps per completion, tokens per step), and sampled evaluation (pass@k, entropy, KL);
- :mod:`grpo_plus.demo.chains`: the ``chains`` tasks, 6-step chains where whole-chain success is rare (sparse,
  moderate and middle regimes, each its own warm start), run by :mod:`grpo_plus.demo.chains_run`;
- :mod:`grpo_plus.demo.task`: what a task is (:class:`~grpo_plus.demo.task.DemoTask`).
"""

# the demo tasks run_demo(task=...) and `grpo-plus train --demo_task` know
TASKS = ("arithmetic", "multistep", "chains", "chains_moderate", "chains_middle")
