"""Drop-in parity with TRL where TRL's own GRPO tests found a difference or grpo_plus is at risk.

A CI-sized subset of the side-by-side run of TRL's tests/test_grpo_trainer.py (TRL's repository; TRL's classes vs
GRPOPlusTrainer / GRPOPlusConfig in their place). The scenarios are written here against the tiny offline
tool-calling model (fixture ``tool_model_dir``); every one runs with both pairs of classes and checks the same
hand-derived numbers, so a difference between TRL and grpo_plus fails the grpo_plus case only:

- the environment owns the reward (``environment_factory`` with ``get_reward``, no ``reward_funcs``);
- an environment reward beside ``reward_funcs`` (it is appended with weight 1; ``reward_weights`` covers the others);
- a dict ``environment_factory`` where only one environment class defines ``get_reward`` (the other's rollouts get
  None: NaN, left out of the statistics);
- no reward source at all: TRL's error, "No reward source provided";
- standalone ``tools`` with a patched ``generate`` (call and failure frequencies, tool tokens masked);
- TRL's hooks called on a bare trainer (``Mock(spec=cls)``, no ``__init__`` state), as TRL's unit tests call
  ``get_high_entropy_mask``.

Rollouts: ``generate`` is patched as TRL's own tests patch it. The first call of a step returns three completions,
(a) a valid tool call, (b) an invalid one, (c) a plain answer; the regeneration after the tool results returns
"Done!" for the two rows that called a tool.
"""

import math
from unittest.mock import Mock, patch

import pytest
import torch
from datasets import Dataset
from transformers import AutoTokenizer
from trl import GRPOConfig, GRPOTrainer

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.demo.tiny import TOOL_TOKENS, build_tool_tokenizer
from grpo_plus.guard import RewardError, is_guarded

CLASSES = {"trl": (GRPOTrainer, GRPOConfig), "grpo_plus": (GRPOPlusTrainer, GRPOPlusConfig)}
both = pytest.mark.parametrize("impl", list(CLASSES))


@pytest.fixture(autouse=True)
def _silence_experimental(monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")


class CounterEnv:
    """The reward is the final counter: only a successful ``increment`` call raises it."""

    def reset(self, **kwargs):
        self.counter = 0
        return "Count with the tool."

    def increment(self, step: int) -> int:
        """
        Increment the counter.

        Args:
            step: Value to add to the counter.

        Returns:
            The counter after the increment.
        """
        self.counter += step
        return self.counter

    def get_reward(self) -> float:
        return float(self.counter)


class PlainEnv:
    """No ``get_reward``: its rollouts are scored by ``reward_funcs`` only."""

    def reset(self, **kwargs):
        return "Echo."

    def echo(self, text: str) -> str:
        """
        Echo the text.

        Args:
            text: Text to echo.

        Returns:
            The same text.
        """
        return text


def multiply(a: int, b: int) -> int:
    """
    Multiplies two integers.

    Args:
        a: The first integer.
        b: The second integer.

    Returns:
        The product of the two integers.
    """
    return a * b


def zero_reward(completions, **kwargs):
    return [0.0 for _ in completions]


def config(impl, tmp_path, **overrides):
    kwargs = dict(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=3, num_generations=3, max_completion_length=64,
        max_steps=1, learning_rate=0.1, logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, bf16=False,
        disable_tqdm=True, seed=0,
    )
    return CLASSES[impl][1](**{**kwargs, **overrides})


def scripted_generate(tokenizer, first_turns, after_tool="Done!<|im_end|>"):
    """A stand-in for ``model.generate``: the first call of a step (as many rows as ``first_turns``) returns those
    texts, any other call (the regeneration after tool results) returns ``after_tool`` for every row."""

    def generate(input_ids, **kwargs):
        texts = first_turns if input_ids.size(0) == len(first_turns) else [after_tool] * input_ids.size(0)
        rows = [tokenizer.encode(text, add_special_tokens=False) for text in texts]
        width = max(len(r) for r in rows)
        rows = [r + [tokenizer.pad_token_id] * (width - len(r)) for r in rows]
        return torch.cat([input_ids, torch.tensor(rows, device=input_ids.device)], dim=1)

    return generate


def tool_call(name, **arguments):
    args = ", ".join(f'"{k}": {v}' for k, v in arguments.items())
    return f'<tool_call>\n{{"name": "{name}", "arguments": {{{args}}}}}\n</tool_call><|im_end|>'


def train(trainer, tokenizer, first_turns):
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    with patch.object(trainer.model, "generate", side_effect=scripted_generate(tokenizer, first_turns)):
        trainer.train()
    changed = any(not torch.equal(p, trainer.model.get_parameter(n)) for n, p in before.items())
    return trainer.state.log_history[0], changed


def group_std(values):
    """Bessel-corrected standard deviation (torch.std, TRL's reward_std)."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


COUNTER_TURNS = [
    tool_call("increment", step=1),  # succeeds: counter 1
    tool_call("decrement", step=2),  # no such tool: a failure, counter stays 0
    "I won't count.<|im_end|>",  # no tool call: counter 0
]


def test_tool_tokenizer_is_accepted_by_trl():
    from trl.chat_template_utils import add_response_schema, supports_tool_calling

    tokenizer = build_tool_tokenizer()
    assert supports_tool_calling(tokenizer)
    add_response_schema(tokenizer)  # raises for a chat template TRL does not know
    for token in TOOL_TOKENS:
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token
    parsed = tokenizer.parse_response(tokenizer.encode(tool_call("increment", step=1)), prefix=[])
    assert parsed["tool_calls"] == [{"type": "function", "function": {"name": "increment", "arguments": {"step": 1}}}]


@both
def test_environment_owned_reward(impl, tool_model_dir, tmp_path):
    """TRL's test_train_with_environment_owned_reward: no reward_funcs, the environment's get_reward is the reward."""
    tokenizer = AutoTokenizer.from_pretrained(tool_model_dir)
    trainer_cls = CLASSES[impl][0]
    trainer = trainer_cls(model=tool_model_dir, args=config(impl, tmp_path), environment_factory=CounterEnv)
    assert trainer.reward_func_names == ["CounterEnv"]
    assert trainer.reward_weights.tolist() == [1.0]
    if impl == "grpo_plus":
        assert is_guarded(trainer.reward_funcs[0])  # the environment's reward goes through the fault guard
    logs, changed = train(trainer, tokenizer, COUNTER_TURNS)
    assert [env.counter for env in trainer.environments] == [1, 0, 0]
    assert logs["rewards/CounterEnv/mean"] == pytest.approx(1 / 3)
    assert logs["reward_std"] == pytest.approx(group_std([1.0, 0.0, 0.0]), rel=1e-5)
    assert logs["tools/call_frequency"] == pytest.approx(2 / 3)
    assert logs["tools/failure_frequency"] == pytest.approx(1 / 2)
    assert changed


@both
def test_environment_reward_beside_reward_funcs(impl, tool_model_dir, tmp_path):
    """TRL's test_environment_owned_reward_coexists_with_reward_funcs: get_reward is appended with weight 1 after
    the trainer's rewards (reward_weights covers those only) and is not exposed as a tool."""
    trainer_cls = CLASSES[impl][0]
    args = config(impl, tmp_path, reward_weights=[0.5])
    trainer = trainer_cls(model=tool_model_dir, reward_funcs=zero_reward, args=args, environment_factory=CounterEnv)
    assert trainer.reward_func_names == ["zero_reward", "CounterEnv"]
    assert trainer.reward_weights.tolist() == [0.5, 1.0]
    assert [tool.__name__ for tool in trainer.tools] == ["increment"]


@both
def test_dict_environment_factory_with_mixed_get_reward(impl, tool_model_dir, tmp_path):
    """TRL's test_environment_owned_reward_mixed_environments, trained one step: the CounterEnv column grades only
    CounterEnv rollouts; PlainEnv rollouts get None (NaN), left out of the mean."""
    tokenizer = AutoTokenizer.from_pretrained(tool_model_dir)
    trainer_cls = CLASSES[impl][0]
    dataset = Dataset.from_dict({"environment": ["counter", "plain"]})
    args = config(impl, tmp_path, per_device_train_batch_size=4, num_generations=2, shuffle_dataset=False)
    trainer = trainer_cls(
        model=tool_model_dir, reward_funcs=zero_reward, args=args, train_dataset=dataset,
        environment_factory={"counter": CounterEnv, "again": CounterEnv, "plain": PlainEnv},
    )
    assert trainer.reward_func_names == ["zero_reward", "CounterEnv"]  # one column per class, not per name
    assert trainer.reward_weights.tolist() == [1.0, 1.0]
    environments = [CounterEnv(), PlainEnv()]
    for env in environments:
        env.reset()
    assert trainer.reward_funcs[-1](environments=environments) == [0.0, None]
    # Batch [counter, counter, plain, plain]: counters 1 and 0, the plain rows are not graded by CounterEnv.
    turns = [tool_call("increment", step=1), "No.<|im_end|>", tool_call("echo", text='"hi"'), "No.<|im_end|>"]
    logs, _ = train(trainer, tokenizer, turns)
    assert logs["rewards/CounterEnv/mean"] == pytest.approx(0.5)  # nanmean over the two CounterEnv rollouts
    assert logs["rewards/zero_reward/mean"] == 0.0
    assert logs["tools/call_frequency"] == pytest.approx(2 / 4)
    assert logs["tools/failure_frequency"] == 0.0


@both
def test_no_reward_source(impl, tool_model_dir, tmp_path):
    """TRL's test_no_reward_source_raises, and the same with an environment that has no get_reward."""
    trainer_cls = CLASSES[impl][0]
    dataset = Dataset.from_dict({"prompt": ["What is 1 + 1?"] * 3})
    with pytest.raises(ValueError, match="^No reward source provided"):
        trainer_cls(model=tool_model_dir, args=config(impl, tmp_path), train_dataset=dataset)
    with pytest.raises(ValueError, match="^No reward source provided"):
        trainer_cls(model=tool_model_dir, args=config(impl, tmp_path), environment_factory=PlainEnv)


@both
def test_tools_with_patched_generate(impl, tool_model_dir, tmp_path):
    """TRL's test_train_with_tools: a valid call, a call with a wrong argument name, no call. The tool response
    tokens TRL appends are masked (tool_mask 0) and hold the tool's result, 3 * 4 = 12."""
    tokenizer = AutoTokenizer.from_pretrained(tool_model_dir)
    trainer_cls = CLASSES[impl][0]
    dataset = Dataset.from_dict({"prompt": [[{"role": "user", "content": "Multiply 3 by 4."}]] * 3})
    trainer = trainer_cls(
        model=tool_model_dir, reward_funcs=zero_reward, args=config(impl, tmp_path), train_dataset=dataset,
        tools=[multiply],
    )
    captured = {}
    generate_batch = trainer._generate

    def capture(prompts):
        result = generate_batch(prompts)
        captured["completion_ids"], captured["tool_mask"] = result[1], result[2]
        return result

    turns = [tool_call("multiply", a=3, b=4), tool_call("multiply", a=3, c=4), "I can't.<|im_end|>"]
    with patch.object(trainer, "_generate", side_effect=capture):
        logs, _ = train(trainer, tokenizer, turns)
    assert logs["tools/call_frequency"] == pytest.approx(2 / 3)
    assert logs["tools/failure_frequency"] == pytest.approx(1 / 2)
    ids, mask = captured["completion_ids"][0], captured["tool_mask"][0]
    masked = tokenizer.decode([t for t, m in zip(ids, mask) if m == 0])
    assert "<tool_response>\n12\n</tool_response>" in masked
    model_text = tokenizer.decode([t for t, m in zip(ids, mask) if m == 1])
    assert model_text == tool_call("multiply", a=3, b=4) + "Done!<|im_end|>"
    assert captured["tool_mask"][2] == [1] * len(captured["completion_ids"][2])  # no call, nothing masked


@both
def test_entropy_mask_on_a_bare_trainer(impl):
    """TRL's TestGetHighEntropyMask: the method called on Mock(spec=cls), an object without __init__ state."""
    trainer_cls = CLASSES[impl][0]
    trainer = Mock(spec=trainer_cls)
    trainer.accelerator = Mock(num_processes=1)
    trainer.accelerator.gather = lambda x: x
    trainer.accelerator.pad_across_processes = lambda x, dim, pad_index: x
    entropies = torch.tensor([[0.5, 2.0, 1.0, 3.0], [4.0, 0.1, 9.0, 9.0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    # The 0.5-quantile of the six real entropies (0.1, 0.5, 1, 2, 3, 4), linearly interpolated, is 1.5.
    expected = torch.tensor([[False, True, False, True], [True, False, False, False]])
    assert torch.equal(trainer_cls.get_high_entropy_mask(trainer, entropies, mask, 0.5), expected)


def test_environment_reward_fault_guard(tool_model_dir, tmp_path):
    """grpo_plus only (reward_errors is its field): a get_reward that raises for one rollout is named
    (reward_errors='raise') or becomes None (reward_errors='none'), as for any reward."""
    tokenizer = AutoTokenizer.from_pretrained(tool_model_dir)

    class FlakyEnv(CounterEnv):
        def get_reward(self) -> float:
            if self.counter == 0:
                raise RuntimeError("counter never moved")
            return float(self.counter)

    trainer = GRPOPlusTrainer(
        model=tool_model_dir, args=config("grpo_plus", tmp_path, reward_errors="none"), environment_factory=FlakyEnv
    )
    logs, _ = train(trainer, tokenizer, COUNTER_TURNS)
    assert logs["rewards/FlakyEnv/mean"] == 1.0  # rollouts 2 and 3 are None, left out of the mean
    trainer = GRPOPlusTrainer(model=tool_model_dir, args=config("grpo_plus", tmp_path), environment_factory=FlakyEnv)
    with pytest.raises(RewardError, match="FlakyEnv") as error:
        train(trainer, tokenizer, COUNTER_TURNS)
    assert error.value.index == 1 and isinstance(error.value.__cause__, RuntimeError)
