"""The one data path (grpo_plus.data): files, save_to_disk folders, dataset_info.json, templates, prompt formats."""

import json

import pytest

from grpo_plus.data import ConfigError, DatasetArguments, load_prompt_dataset, needs_tokenizer


@pytest.fixture
def qa_file(tmp_path):
    """A jsonl dataset with GSM8K-style column names."""
    path = tmp_path / "qa.jsonl"
    rows = [{"question": f"What is {a} + 1?", "answer": str(a + 1)} for a in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_prompts_as_chat_and_as_text(qa_file):
    args = DatasetArguments(
        dataset_name=str(qa_file), prompt_column="question", solution_column="answer", system_prompt="Be brief.",
        prompt_format="chat", max_samples=2,
    )
    chat = load_prompt_dataset(args)
    assert len(chat) == 2
    assert chat[1]["prompt"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 1 + 1?"},
    ]
    assert chat[1]["solution"] == "2"
    args.prompt_format = "text"
    assert load_prompt_dataset(args)[1]["prompt"] == "Be brief.\n\nWhat is 1 + 1?"


def test_auto_prompt_format_follows_the_tokenizer(qa_file, bpe_tokenizer):
    args = DatasetArguments(dataset_name=str(qa_file), prompt_column="question", solution_column=None)
    assert load_prompt_dataset(args, bpe_tokenizer)[0]["prompt"] == [{"role": "user", "content": "What is 0 + 1?"}]
    assert load_prompt_dataset(args, None)[0]["prompt"] == "What is 0 + 1?"
    assert "answer" in load_prompt_dataset(args).column_names  # other columns stay (rewards get them)


def test_dataset_folder_from_save_to_disk_and_csv(tmp_path):
    from datasets import Dataset, DatasetDict

    data = Dataset.from_list([{"prompt": "p0", "solution": "s0"}, {"prompt": "p1", "solution": "s1"}])
    DatasetDict({"train": data, "test": data.select([1])}).save_to_disk(str(tmp_path / "saved"))
    args = DatasetArguments(dataset_name=str(tmp_path / "saved"), prompt_format="text", dataset_train_split="test")
    assert load_prompt_dataset(args)["prompt"] == ["p1"]
    data.to_csv(str(tmp_path / "rows.csv"))
    args = DatasetArguments(dataset_name=str(tmp_path / "rows.csv"), prompt_format="text")
    assert load_prompt_dataset(args)["solution"] == ["s0", "s1"]


def test_bad_dataset_arguments():
    message = "prompt_format='markdown' is not valid; choose one of: 'auto', 'chat', 'text'"
    with pytest.raises(ValueError, match=message):
        DatasetArguments(prompt_format="markdown")
    assert DatasetArguments(solution_column="null").solution_column is None


def test_dataset_dir_and_template_through_load_prompt_dataset(tmp_path, bpe_tokenizer):
    data = tmp_path / "data"
    data.mkdir()
    (data / "qa.json").write_text(json.dumps([{"instruction": "What is 1 + 1?", "input": "Be exact.", "output": "2"}]))
    (data / "dataset_info.json").write_text(json.dumps({"qa": {"file_name": "qa.json"}}))
    args = DatasetArguments(dataset_name="qa", dataset_dir=str(data), template="qwen", system_prompt="Be brief.")
    dataset = load_prompt_dataset(args, bpe_tokenizer)
    assert dataset[0]["prompt"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 1 + 1?\nBe exact."},
    ]
    assert dataset[0]["solution"] == "2"
    with pytest.raises(ConfigError, match="every prompt is longer than max_prompt_length=3 tokens"):
        load_prompt_dataset(DatasetArguments(dataset_name="qa", dataset_dir=str(data), max_prompt_length=3),
                                bpe_tokenizer)


def test_missing_column_and_unsupported_file_name_the_field(qa_file, tmp_path):
    columns = r"has no column 'problem' \(prompt_column\); its columns are \['question', 'answer'\]"
    with pytest.raises(ConfigError, match=columns):
        load_prompt_dataset(DatasetArguments(dataset_name=str(qa_file), prompt_column="problem"))
    notes = tmp_path / "notes.txt"
    notes.write_text("1 + 1\n")
    file_types = r"unsupported file type '\.txt'; use one of \.csv, \.json, \.jsonl, \.parquet"
    with pytest.raises(ConfigError, match=file_types):
        load_prompt_dataset(DatasetArguments(dataset_name=str(notes)))


def test_a_close_typo_of_a_choice_gets_a_hint():
    hint = r"prompt_format='chatt' is not valid; choose one of: .*; did you mean 'chat'\?"
    with pytest.raises(ValueError, match=hint):
        DatasetArguments(prompt_format="chatt")


def test_the_tokenizer_is_needed_for_auto_prompts_templates_and_length_limits():
    assert needs_tokenizer(DatasetArguments())  # prompt_format 'auto' asks the tokenizer for a chat template
    assert not needs_tokenizer(DatasetArguments(prompt_format="text"))
    assert needs_tokenizer(DatasetArguments(prompt_format="text", template="qwen"))
    assert needs_tokenizer(DatasetArguments(prompt_format="chat", max_prompt_length=8))
