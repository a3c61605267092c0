"""Per-turn process rewards of multi-turn tool rollouts, on hand-built trajectories.

A trajectory is what TRL's tool loop produces: the completion holds the model's first assistant turn (a tool call
ending in ``<|im_end|>``), the tool response TRL appends with the chat template around it (``tool_mask`` 0), and the
model's next turn. The steps of the completion are its assistant turns, the maximal runs of ``tool_mask == 1``;
step j ends at the last token of turn j. The expected advantages are computed here by plain loops from the
definitions (group normalisation of all turn rewards of a group, DeepSeekMath arXiv 2402.03300 §4.1.3 for the sum
form, Cheng et al. arXiv 2504.15275 for the min form), independently of grpo_plus.advantages:

    r̃_ij = (r_ij − mean(R_g)) / (std(R_g) + 1e-4)   R_g: all graded turn rewards of the group, std Bessel-corrected
    A_it = Σ_{j: end_ij ≥ t} r̃_ij   (sum)      A_it = min_{j: end_ij ≥ t} r̃_ij   (min)      on model tokens
    A_it = 0                                                                          on tool-response tokens
"""

import math
from unittest.mock import patch

import pytest
import torch
from transformers import AutoTokenizer

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.advantages import process_advantages
from grpo_plus.demo.tiny import build_tool_tokenizer
from grpo_plus.steps import split_turns, turn_spans

EPS = 1e-4


@pytest.fixture(scope="module")
def tokenizer():
    return build_tool_tokenizer()


def encode(tokenizer, text):
    return tokenizer.encode(text, add_special_tokens=False)


def tool_call(name, **arguments):
    args = ", ".join(f'"{k}": {v}' for k, v in arguments.items())
    return f'<tool_call>\n{{"name": "{name}", "arguments": {{{args}}}}}\n</tool_call><|im_end|>'


# The tool response as the Qwen2.5 template renders it after an assistant turn: a user message, then the next
# assistant header (TRL's _get_tool_suffix_ids: everything after the turn's <|im_end|>).
def tool_suffix(result):
    return f"\n<|im_start|>user\n<tool_response>\n{result}\n</tool_response><|im_end|>\n<|im_start|>assistant\n"


def trajectory(tokenizer, pieces):
    """``pieces``: ("model" | "tool", text) in order. Returns (ids, tool_mask, [(start, end) of each model piece])."""
    ids, mask, spans = [], [], []
    for kind, text in pieces:
        piece = encode(tokenizer, text)
        if kind == "model":
            spans.append((len(ids), len(ids) + len(piece) - 1))
        ids += piece
        mask += [1 if kind == "model" else 0] * len(piece)
    return ids, mask, spans


def expected_advantages(turn_rewards, spans, masks, num_generations, credit):
    """The definition above, by loops: (N, T) advantages, T = the longest completion."""
    n = len(turn_rewards)
    width = max(len(m) for m in masks)
    normalised = [[None] * len(row) for row in turn_rewards]
    for g in range(n // num_generations):
        rows = range(g * num_generations, (g + 1) * num_generations)
        graded = [r for i in rows for r in turn_rewards[i] if r is not None]
        mean = sum(graded) / len(graded)
        std = math.sqrt(sum((r - mean) ** 2 for r in graded) / (len(graded) - 1)) if len(graded) > 1 else 0.0
        for i in rows:
            normalised[i] = [None if r is None else (r - mean) / (std + EPS) for r in turn_rewards[i]]
    out = torch.zeros(n, width, dtype=torch.float64)
    for i in range(n):
        for t in range(len(masks[i])):
            if masks[i][t] == 0:
                continue
            ahead = [r for r, (_, end) in zip(normalised[i], spans[i]) if end >= t and r is not None]
            if ahead:
                out[i, t] = sum(ahead) if credit == "sum" else min(ahead)
    return out


def group_of_trajectories(tokenizer):
    """Two groups of two: turn-calling and plain rollouts, one ending on a tool response (truncated there)."""
    return [
        [("model", tool_call("increment", step=1)), ("tool", tool_suffix(1)), ("model", "Done: 1.<|im_end|>")],
        [("model", "No.<|im_end|>")],
        [("model", tool_call("increment", step=2)), ("tool", tool_suffix(2)), ("model", "Two.<|im_end|>")],
        [("model", tool_call("increment", step=1)), ("tool", tool_suffix(1))],  # cut after the tool response
    ]


def test_turn_spans_are_the_runs_of_model_tokens(tokenizer):
    pieces = group_of_trajectories(tokenizer)[0]
    ids, mask, spans = trajectory(tokenizer, pieces)
    assert len(spans) == 2 and spans[0][0] == 0 and spans[1][1] == len(ids) - 1
    assert turn_spans(mask) == spans
    assert turn_spans(torch.tensor(mask)) == spans
    assert turn_spans([0, 0, 1, 1, 0, 1, 0]) == [(2, 3), (5, 5)]
    assert turn_spans([0, 0]) == []


def test_split_turns_ends_at_the_last_token_of_each_assistant_turn(tokenizer):
    ids, mask, spans = trajectory(tokenizer, group_of_trajectories(tokenizer)[0])
    steps, ends = split_turns(tokenizer, [ids], [mask])
    assert ends == [[spans[0][1], spans[1][1]]]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert ids[ends[0][0]] == im_end and ids[ends[0][1]] == im_end  # each turn ends with the model's <|im_end|>
    assert mask[ends[0][0] + 1] == 0  # the next token is the tool response's
    # The turns' texts, decoded as TRL decodes completions (special tokens dropped; <tool_call> is not special).
    assert steps == [[tool_call("increment", step=1).removesuffix("<|im_end|>"), "Done: 1."]]


def test_split_turns_trailing_tool_response_and_errors(tokenizer):
    ids, mask, spans = trajectory(tokenizer, group_of_trajectories(tokenizer)[3])
    steps, ends = split_turns(tokenizer, [ids], [mask])
    assert ends == [[spans[0][1]]] and ends[0][0] < len(ids) - 1  # the trailing tool tokens belong to no step
    with pytest.raises(ValueError, match="sample 0"):
        split_turns(tokenizer, [ids], [mask[:-1]])


@pytest.mark.parametrize("credit", ["sum", "min"])
def test_turn_advantages_equal_the_definition(tokenizer, credit):
    built = [trajectory(tokenizer, pieces) for pieces in group_of_trajectories(tokenizer)]
    ids = [b[0] for b in built]
    masks = [b[1] for b in built]
    turn_rewards = [[1.0, 0.5], [0.0], [0.0, None], [1.0]]  # None: an ungraded turn
    _, ends = split_turns(tokenizer, ids, masks)
    # As the trainer does: a completion's real tokens end with its last turn (trailing tool tokens are none's).
    num_tokens = [row[-1] + 1 for row in ends]
    width = max(len(m) for m in masks)
    advantages = process_advantages(turn_rewards, ends, 2, num_tokens, "group", total_tokens=width, credit=credit)
    tool_mask = torch.tensor([m + [1] * (width - len(m)) for m in masks])  # TRL pads tool_mask with 1
    advantages = advantages * tool_mask
    expected = expected_advantages(turn_rewards, [b[2] for b in built], masks, 2, credit)
    torch.testing.assert_close(advantages.double(), expected, rtol=1e-5, atol=1e-6)
    tool_tokens = [(i, t) for i, mask in enumerate(masks) for t, m in enumerate(mask) if m == 0]
    assert {i for i, _ in tool_tokens} == {0, 2, 3}
    assert all(advantages[i, t] == 0 for i, t in tool_tokens)
    # A hand check of one value: group 0 rewards {1, 0.5, 0}: mean 0.5, std 0.5; turn 1 of row 0 is (1 - .5)/.5 = 1
    # and turn 2 is 0, so row 0's first token gets 1 (sum: 1 + 0; min: min(1, 0) = 0).
    first = (1.0 - 0.5) / (0.5 + EPS) + 0.0
    assert advantages[0, 0].item() == pytest.approx(first if credit == "sum" else 0.0, abs=1e-6)


# ------------------------------------------------------------------------------------------------ in the trainer
class TurnEnv:
    """Counts with a tool; a tool call is a useful turn (1) when it adds exactly 1, the final answer turn is useful
    when the counter is 1. ``get_turn_rewards``: one value per assistant turn, in order."""

    def reset(self, **kwargs):
        self.counter = 0
        self.calls = []
        return "Make the counter 1."

    def increment(self, step: int) -> int:
        """
        Increment the counter.

        Args:
            step: Value to add to the counter.

        Returns:
            The counter after the increment.
        """
        self.calls.append(step)
        self.counter += step
        return self.counter

    def get_turn_rewards(self) -> list[float | None]:
        return [1.0 if step == 1 else 0.0 for step in self.calls] + [1.0 if self.counter == 1 else 0.0]


class TurnEnvWithOutcome(TurnEnv):
    def get_reward(self) -> float:
        return float(self.counter == 1)


FIRST_TURNS = [tool_call("increment", step=1), "No.<|im_end|>", tool_call("increment", step=2), "One.<|im_end|>"]
TURN_REWARDS = [[1.0, 1.0], [0.0], [0.0, 0.0], [0.0]]  # what TurnEnv.get_turn_rewards returns for FIRST_TURNS
OUTCOMES = [1.0, 0.0, 0.0, 0.0]  # TurnEnvWithOutcome.get_reward


def run_process_step(model_dir, tmp_path, env, credit):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    args = GRPOPlusConfig(
        output_dir=str(tmp_path / "out"), reward_mode="process", process_credit=credit, per_device_train_batch_size=4,
        num_generations=2, max_completion_length=96, max_steps=1, learning_rate=1e-3, logging_steps=1,
        save_strategy="no", report_to="none", use_cpu=True, bf16=False, disable_tqdm=True, seed=0,
    )
    seen_steps = []

    def observe_steps(steps, **kwargs):  # a step reward that grades nothing: records the steps it is given
        seen_steps.extend(steps)
        return [[None] * len(row) for row in steps]

    observe_steps.reward_level = "step"
    trainer = GRPOPlusTrainer(model=model_dir, reward_funcs=[observe_steps], args=args, environment_factory=env)

    def generate(input_ids, **kwargs):
        texts = FIRST_TURNS if input_ids.size(0) == len(FIRST_TURNS) else ["Done.<|im_end|>"] * input_ids.size(0)
        rows = [encode(tokenizer, text) for text in texts]
        width = max(len(r) for r in rows)
        rows = [r + [tokenizer.pad_token_id] * (width - len(r)) for r in rows]
        return torch.cat([input_ids, torch.tensor(rows)], dim=1)

    outputs = []
    score = trainer._generate_and_score_completions

    def capture(inputs):
        outputs.append(score(inputs))
        return outputs[-1]

    with patch.object(trainer.model, "generate", side_effect=generate), \
            patch.object(trainer, "_generate_and_score_completions", side_effect=capture):
        trainer.train()
    return trainer, tokenizer, outputs[0], seen_steps


@pytest.mark.parametrize("credit", ["sum", "min"])
def test_trainer_turn_rewards_become_step_advantages(tool_model_dir, tmp_path, credit):
    trainer, tokenizer, output, seen_steps = run_process_step(tool_model_dir, tmp_path, TurnEnv, credit)
    assert "TurnEnv.turns" in trainer.reward_func_names
    assert [env.get_turn_rewards() for env in trainer.environments] == TURN_REWARDS
    completion_mask = output["completion_mask"]
    tool_mask = output["tool_mask"]
    masks, spans = [], []
    for i in range(tool_mask.size(0)):
        length = int(completion_mask[i].sum())
        masks.append(tool_mask[i, :length].tolist())
        spans.append(turn_spans(masks[-1]))
    # The step reward saw the assistant turns' texts: call + answer for the rows that called the tool.
    assert seen_steps == [
        [tool_call("increment", step=1).removesuffix("<|im_end|>"), "Done."], ["No."],
        [tool_call("increment", step=2).removesuffix("<|im_end|>"), "Done."], ["One."],
    ]
    expected = expected_advantages(TURN_REWARDS, spans, masks, 2, credit)
    advantages = output["advantages"]
    torch.testing.assert_close(advantages[:, : expected.size(1)].double(), expected, rtol=1e-5, atol=1e-6)
    assert advantages[tool_mask == 0].abs().max() == 0
    assert advantages[completion_mask == 0].abs().max() == 0
    logs = trainer.state.log_history[0]
    assert logs["steps/per_completion"] == pytest.approx((2 + 1 + 2 + 1) / 4)


def test_trainer_turn_rewards_plus_outcome(tool_model_dir, tmp_path):
    """get_reward stays an outcome reward: its outcome advantage is added to every token of the completion's turns."""
    trainer, _, output, _ = run_process_step(tool_model_dir, tmp_path, TurnEnvWithOutcome, "sum")
    assert {"TurnEnvWithOutcome", "TurnEnvWithOutcome.turns"} <= set(trainer.reward_func_names)
    tool_mask, completion_mask = output["tool_mask"], output["completion_mask"]
    masks = [tool_mask[i, : int(completion_mask[i].sum())].tolist() for i in range(tool_mask.size(0))]
    spans = [turn_spans(m) for m in masks]
    expected = expected_advantages(TURN_REWARDS, spans, masks, 2, "sum")
    for g in range(2):  # outcome advantage: (R - mean) / (std + eps) per group of two
        r = OUTCOMES[2 * g : 2 * g + 2]
        mean = sum(r) / 2
        std = math.sqrt(sum((x - mean) ** 2 for x in r))  # n - 1 = 1
        for i in (2 * g, 2 * g + 1):
            last = spans[i][-1][1]
            for t in range(last + 1):
                if masks[i][t]:
                    expected[i, t] += (r[i - 2 * g] - mean) / (std + EPS)
    torch.testing.assert_close(output["advantages"][:, : expected.size(1)].double(), expected, rtol=1e-5, atol=1e-6)
