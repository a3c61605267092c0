"""Chat templates by LLaMA-Factory name: every built-in template against the text its LLaMA-Factory slots give
(written out by hand from src/llamafactory/data/template.py), and the choice between the tokenizer's template and the
built-in one."""

import copy
import logging

import pytest
from datasets import Dataset

from grpo_plus.dialects import chat_templates
from grpo_plus.dialects.chat_templates import (
    BUILTIN_TEMPLATES,
    check_template_name,
    drop_long_prompts,
    format_with_template,
    render_prompt,
    stop_token_fix,
)


class FakeTokenizer:
    """BOS '<bos>', EOS '</s>'; one token per character; adds BOS itself only when ``adds_bos``."""

    bos_token, bos_token_id, eos_token = "<bos>", 0, "</s>"
    chat_template = None

    def __init__(self, adds_bos=False):
        self.adds_bos = adds_bos

    def __call__(self, text):
        return {"input_ids": ([0] if self.adds_bos else []) + [ord(c) for c in text]}

    def apply_chat_template(self, messages, add_generation_prompt, tokenize, return_dict):
        return [ord(c) for m in messages for c in m["content"]] + [1]  # content characters + one header token


ONE_TURN = [{"role": "user", "content": "Q1"}]
MULTI_TURN = [
    {"role": "system", "content": "S"},
    {"role": "user", "content": "Q1"},
    {"role": "assistant", "content": "A1"},
    {"role": "user", "content": "Q2"},
]
ALPACA_SYSTEM = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
)
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, "
    "and polite answers to the user's questions."
)
H3 = "<|start_header_id|>{}<|end_header_id|>\n\n"

EXPECTED = {
    "empty": (MULTI_TURN, "SQ1A1Q2"),
    "default": (MULTI_TURN, "System: S</s>\nHuman: Q1</s>\nAssistant:A1</s>\nHuman: Q2</s>\nAssistant:"),
    "alpaca": (ONE_TURN, ALPACA_SYSTEM + "### Instruction:\nQ1\n\n### Response:\n"),
    "vicuna": (ONE_TURN, VICUNA_SYSTEM + "USER: Q1 ASSISTANT:"),
    "chatml": (
        MULTI_TURN,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
        "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n",
    ),
    "qwen": (
        ONE_TURN,
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n",
    ),
    "yi": (ONE_TURN, "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n"),
    "llama3": (
        MULTI_TURN,
        "<bos>" + H3.format("system") + "S<|eot_id|>" + H3.format("user") + "Q1<|eot_id|>" + H3.format("assistant")
        + "A1<|eot_id|>" + H3.format("user") + "Q2<|eot_id|>" + H3.format("assistant"),
    ),
    "llama2": (MULTI_TURN, "<bos>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ1 [/INST]A1</s><bos>[INST] Q2 [/INST]"),
    "mistral": (MULTI_TURN, "<bos>[INST] S\n\nQ1[/INST] A1</s>[INST] Q2[/INST]"),
    "gemma": (
        MULTI_TURN,
        "<bos><start_of_turn>user\nS\n\nQ1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
        "<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\n",
    ),
    "phi": (
        MULTI_TURN,
        "<|system|>\nS<|end|>\n<|user|>\nQ1<|end|>\n<|assistant|>\nA1<|end|>\n<|user|>\nQ2<|end|>\n<|assistant|>\n",
    ),
    "deepseek": (MULTI_TURN, "<bos>S\n\nUser: Q1\n\nAssistant:A1</s>User: Q2\n\nAssistant:"),
    "deepseek3": (MULTI_TURN, "<bos>S<｜User｜>Q1<｜Assistant｜>A1</s><｜User｜>Q2<｜Assistant｜>"),
}


def test_every_builtin_template_has_a_test():
    assert set(EXPECTED) == set(BUILTIN_TEMPLATES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_template_renders_llamafactory_slots(name):
    messages, expected = EXPECTED[name]
    assert render_prompt(BUILTIN_TEMPLATES[name], messages, FakeTokenizer()) == expected


def test_bos_is_left_to_a_tokenizer_that_adds_it():
    text = render_prompt(BUILTIN_TEMPLATES["llama3"], ONE_TURN, FakeTokenizer(adds_bos=True))
    assert text == H3.format("user") + "Q1<|eot_id|>" + H3.format("assistant")


def test_braces_in_content_stay_as_written():
    text = render_prompt(BUILTIN_TEMPLATES["chatml"], [{"role": "user", "content": "{eos} {content} {bos}"}])
    assert text == "<|im_start|>user\n{eos} {content} {bos}<|im_end|>\n<|im_start|>assistant\n"


def test_a_late_system_message_is_an_error():
    with pytest.raises(ValueError, match="cannot render a system message after the first turn"):
        render_prompt(BUILTIN_TEMPLATES["qwen"], [*ONE_TURN, {"role": "system", "content": "x"}])


def test_unknown_template_name_suggests_the_closest():
    with pytest.raises(ValueError, match="template='qwne' is not known; did you mean 'qwen'\\? built-in templates"):
        check_template_name("qwne")
    check_template_name("qwen3")  # known to LLaMA-Factory: accepted when the tokenizer has its own template


# ------------------------------------------------------------------------------------------- tokenizer or built-in
@pytest.fixture
def no_template_tokenizer(bpe_tokenizer):
    tokenizer = copy.deepcopy(bpe_tokenizer)
    tokenizer.chat_template = None
    return tokenizer


PROMPTS = Dataset.from_list([{"prompt": "What is 1 + 1?"}])
CHATS = Dataset.from_list([{"prompt": [{"role": "user", "content": "And 2 + 2?"}]}])


def test_tokenizer_with_a_chat_template_gets_conversations(bpe_tokenizer):
    system = {"role": "system", "content": "Be brief."}
    out = format_with_template(PROMPTS, "chatml", "auto", "Be brief.", bpe_tokenizer)
    assert out[0]["prompt"] == [system, {"role": "user", "content": "What is 1 + 1?"}]
    out = format_with_template(CHATS, "chatml", "auto", "Be brief.", bpe_tokenizer)
    assert out[0]["prompt"] == [system, {"role": "user", "content": "And 2 + 2?"}]


def test_tokenizer_without_a_chat_template_gets_the_builtin_text(no_template_tokenizer):
    qwen_system = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    out = format_with_template(PROMPTS, "qwen", "auto", None, no_template_tokenizer)
    assert out[0]["prompt"] == qwen_system + "<|im_start|>user\nWhat is 1 + 1?<|im_end|>\n<|im_start|>assistant\n"
    out = format_with_template(CHATS, "qwen", "auto", None, no_template_tokenizer)
    assert out[0]["prompt"] == qwen_system + "<|im_start|>user\nAnd 2 + 2?<|im_end|>\n<|im_start|>assistant\n"


def test_prompt_format_text_forces_the_builtin_template(bpe_tokenizer):
    out = format_with_template(PROMPTS, "alpaca", "text", "Sys.", bpe_tokenizer)
    assert out[0]["prompt"] == "Sys.### Instruction:\nWhat is 1 + 1?\n\n### Response:\n"


def test_prompt_format_chat_needs_a_tokenizer_template(no_template_tokenizer):
    with pytest.raises(ValueError, match="prompt_format='chat' with template='qwen' needs a tokenizer with a chat"):
        format_with_template(PROMPTS, "qwen", "chat", None, no_template_tokenizer)


def test_tokenizer_only_template_without_a_tokenizer_template_is_an_error(no_template_tokenizer):
    with pytest.raises(ValueError, match="template='qwen3' has no built-in rendering here and the tokenizer has no"):
        format_with_template(PROMPTS, "qwen3", "auto", None, no_template_tokenizer)


def test_template_of_another_family_than_the_tokenizer_warns(bpe_tokenizer, caplog):
    with caplog.at_level(logging.WARNING, logger="grpo_plus"):
        format_with_template(PROMPTS, "llama3", "auto", None, bpe_tokenizer)
    assert "template='llama3', but the tokenizer's chat template does not look like it" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="grpo_plus"):
        format_with_template(PROMPTS, "qwen", "auto", None, bpe_tokenizer)  # ChatML family: no warning
    assert caplog.text == ""


# ---------------------------------------------------------------------------------------------------- stop words
def test_stop_word_becomes_the_eos_token(bpe_tokenizer):
    tokenizer = copy.deepcopy(bpe_tokenizer)
    tokenizer.eos_token = "<|endoftext|>"  # a base model's EOS
    change = stop_token_fix("qwen", tokenizer)
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert change == "template='qwen': generation stops at '<|im_end|>' (eos_token '<|endoftext|>' -> '<|im_end|>')"


def test_templates_that_keep_the_eos_change_nothing(bpe_tokenizer):
    tokenizer = copy.deepcopy(bpe_tokenizer)
    tokenizer.eos_token = "<|endoftext|>"
    assert stop_token_fix("default", tokenizer) is None and stop_token_fix("yi", tokenizer) is None
    assert tokenizer.eos_token == "<|endoftext|>"


def test_stop_word_missing_from_the_vocabulary_warns(bpe_tokenizer, caplog):
    tokenizer = copy.deepcopy(bpe_tokenizer)
    with caplog.at_level(logging.WARNING, logger="grpo_plus"):
        assert stop_token_fix("llama3", tokenizer) is None
    assert tokenizer.eos_token == "<|im_end|>"
    assert "template='llama3' stops at '<|eot_id|>', which is not a token of this tokenizer" in caplog.text


# ------------------------------------------------------------------------------------------------ prompt budget
def test_prompts_over_the_budget_are_left_out(caplog):
    # FakeTokenizer: a text prompt has one token per character; a conversation its content characters + 1
    rows = [{"prompt": "abcd"}, {"prompt": "abcdefg"}, {"prompt": "ab"}, {"prompt": "abcde"}]
    with caplog.at_level(logging.WARNING, logger="grpo_plus"):
        kept = drop_long_prompts(Dataset.from_list(rows), FakeTokenizer(), 5)
    assert kept["prompt"] == ["abcd", "ab", "abcde"]
    assert "1 of 4 prompts are longer than max_prompt_length=5 tokens and are left out (first: row 1, 7 tokens)" in (
        caplog.text
    )
    chats = Dataset.from_list([{"prompt": [{"role": "user", "content": "abcde"}]}])
    assert len(drop_long_prompts(chats, FakeTokenizer(), 6)) == 1
    with pytest.raises(ValueError, match="longer than max_prompt_length=5 tokens \\(the shortest has 6"):
        drop_long_prompts(chats, FakeTokenizer(), 5)


def test_prompt_token_count_matches_trl_for_text_and_chat(bpe_tokenizer):
    chat = [{"role": "user", "content": "What is 1 + 1?"}]
    rendered = bpe_tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert chat_templates.prompt_token_count(chat, bpe_tokenizer) == len(bpe_tokenizer(rendered)["input_ids"])
