"""LLaMA-Factory datasets: dataset_info.json entries, Alpaca and ShareGPT rows as LLaMA-Factory reads them, local
files and the hub load call (checked by recording the call; nothing reaches the network)."""

import json
import logging

import datasets
import pytest
from datasets import Dataset

from grpo_plus.dialects import lf_data
from grpo_plus.dialects.lf_data import DatasetInfoError, alpaca_row, load_registered, sharegpt_row

SHAREGPT = dict(lf_data.SHAREGPT_TAGS)
ALPACA_COLUMNS = {"prompt": "instruction", "query": "input", "response": "output", "system": "system",
                  "history": "history"}


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def system(text):
    return {"role": "system", "content": text}


def write_data(folder, info, files):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset_info.json").write_text(json.dumps(info))
    for name, rows in files.items():
        path = folder / name
        if name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        else:
            path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(folder)


# ------------------------------------------------------------------------------------------------------- Alpaca
def test_alpaca_joins_instruction_and_input_with_a_newline():
    row = {"instruction": "Compute the product.", "input": "12 × 3", "output": "36"}
    assert alpaca_row(row, {}) == ([user("Compute the product.\n12 × 3")], "36")


def test_alpaca_empty_input_is_left_out():
    row = {"instruction": "计算 (3 + 5) × 2 = ?", "input": "", "output": "16"}
    assert alpaca_row(row, {}) == ([user("计算 (3 + 5) × 2 = ?")], "16")


def test_alpaca_system_and_history_come_first():
    row = {
        "instruction": "And 3 + 3?", "input": None, "output": "6", "system": "Answer with a number.",
        "history": [["What is 1 + 1?", "2"], ["And 2 + 2?", "4"]],
    }
    prompt, solution = alpaca_row(row, ALPACA_COLUMNS)
    assert prompt == [
        system("Answer with a number."), user("What is 1 + 1?"), assistant("2"), user("And 2 + 2?"), assistant("4"),
        user("And 3 + 3?"),
    ]
    assert solution == "6"


def test_alpaca_renamed_columns_and_missing_output():
    row = {"question": "What is 2 + 5?", "answer": None}
    columns = {"prompt": "question", "query": None, "response": "answer"}
    assert alpaca_row(row, columns) == ([user("What is 2 + 5?")], None)


# ----------------------------------------------------------------------------------------------------- ShareGPT
def test_sharegpt_last_assistant_turn_is_the_solution():
    turns = [
        {"from": "system", "value": "Be brief."},
        {"from": "human", "value": "What is 1 + 1?"},
        {"from": "gpt", "value": "2"},
        {"from": "human", "value": "And 2 + 2?"},
        {"from": "gpt", "value": "4"},
    ]
    prompt, solution = sharegpt_row(turns, SHAREGPT)
    assert prompt == [system("Be brief."), user("What is 1 + 1?"), assistant("2"), user("And 2 + 2?")]
    assert solution == "4"


def test_sharegpt_ending_with_a_user_turn_is_all_prompt():
    turns = [{"from": "human", "value": "Solve x + 1 = 3."}]
    assert sharegpt_row(turns, SHAREGPT, system="From the system column.") == (
        [system("From the system column."), user("Solve x + 1 = 3.")], None
    )


def test_sharegpt_turns_out_of_order_name_the_turn():
    turns = [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]
    with pytest.raises(DatasetInfoError, match="turn 1 has from='human', expected 'gpt' \\(assistant\\)"):
        sharegpt_row(turns, SHAREGPT)


def test_sharegpt_tool_turns_are_not_supported():
    turns = [{"from": "human", "value": "a"}, {"from": "function_call", "value": "{}"}]
    with pytest.raises(DatasetInfoError, match="turn 1 is a tool turn \\(from='function_call'\\)"):
        sharegpt_row(turns, SHAREGPT)


# ----------------------------------------------------------------------------------------- dataset_info loading
QA = [{"instruction": f"What is {a} + 1?", "input": "", "output": str(a + 1)} for a in range(5)]


def test_local_alpaca_file_keeps_unused_columns(tmp_path):
    rows = [{**r, "level": i} for i, r in enumerate(QA)]
    folder = write_data(tmp_path / "data", {"qa": {"file_name": "qa.jsonl"}}, {"qa.jsonl": rows})
    dataset = load_registered("qa", folder)
    assert sorted(dataset.column_names) == ["level", "prompt", "solution"]
    assert dataset[2]["prompt"] == [user("What is 2 + 1?")] and dataset[2]["solution"] == "3"
    assert dataset["level"] == [0, 1, 2, 3, 4]


def test_sharegpt_file_with_conversations(tmp_path):
    rows = [{"conversations": [{"from": "human", "value": r["instruction"]}, {"from": "gpt", "value": r["output"]}]}
            for r in QA]
    info = {"qa": {"file_name": "qa.json", "formatting": "sharegpt"}}
    dataset = load_registered("qa", write_data(tmp_path / "data", info, {"qa.json": rows}))
    assert dataset.column_names == ["prompt", "solution"]
    assert dataset[4]["prompt"] == [user("What is 4 + 1?")] and dataset[4]["solution"] == "5"


@pytest.mark.parametrize("formatting", ["sharegpt", "openai"])
def test_messages_with_role_and_content(tmp_path, formatting):
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": r["instruction"]},
                          {"role": "assistant", "content": r["output"]}]} for r in QA]
    info = {"qa": {"file_name": "qa.json", "formatting": formatting}}
    dataset = load_registered("qa", write_data(tmp_path / "data", info, {"qa.json": rows}))
    assert dataset[1]["prompt"] == [system("Be brief."), user("What is 1 + 1?")] and dataset[1]["solution"] == "2"


def test_sharegpt_custom_tags(tmp_path):
    rows = [{"dialog": [{"speaker": "q", "text": "What is 9 + 1?"}, {"speaker": "a", "text": "10"}]}]
    info = {"qa": {"file_name": "qa.json", "formatting": "sharegpt", "columns": {"messages": "dialog"},
                   "tags": {"role_tag": "speaker", "content_tag": "text", "user_tag": "q", "assistant_tag": "a"}}}
    dataset = load_registered("qa", write_data(tmp_path / "data", info, {"qa.json": rows}))
    assert dataset[0]["prompt"] == [user("What is 9 + 1?")] and dataset[0]["solution"] == "10"


def test_bad_sharegpt_rows_are_left_out_with_one_warning(tmp_path, caplog):
    good = {"conversations": [{"from": "human", "value": "What is 1 + 1?"}, {"from": "gpt", "value": "2"}]}
    bad = {"conversations": [{"from": "gpt", "value": "2"}]}
    info = {"qa": {"file_name": "qa.json", "formatting": "sharegpt"}}
    folder = write_data(tmp_path / "data", info, {"qa.json": [good, bad, good]})
    with caplog.at_level(logging.WARNING, logger="grpo_plus"):
        dataset = load_registered("qa", folder)
    assert len(dataset) == 2
    assert "dataset 'qa': 1 row(s) left out, turns not in user/assistant order (first: row 1, turn 0" in caplog.text
    write_data(tmp_path / "data", info, {"qa.json": [bad]})
    with pytest.raises(DatasetInfoError, match="dataset 'qa': no usable row \\(first problem: row 0"):
        load_registered("qa", folder)


def test_several_datasets_are_concatenated_and_max_samples_is_per_dataset(tmp_path):
    info = {"a": {"file_name": "a.json"}, "b": {"file_name": "b.jsonl"}}
    folder = write_data(tmp_path / "data", info, {"a.json": QA, "b.jsonl": QA[::-1]})
    dataset = load_registered("a, b", folder, max_samples=2)
    assert dataset["solution"] == ["1", "2", "5", "4"]


def test_num_samples_draws_without_then_with_replacement(tmp_path):
    rows = [{"instruction": f"q{i}", "output": str(i)} for i in range(5)]
    info = {"few": {"file_name": "d.json", "num_samples": 3}, "many": {"file_name": "d.json", "num_samples": 7}}
    folder = write_data(tmp_path / "data", info, {"d.json": rows})
    few = load_registered("few", folder)["solution"]
    assert len(few) == 3 and len(set(few)) == 3
    many = load_registered("many", folder)["solution"]
    assert len(many) == 7 and set(many) == {"0", "1", "2", "3", "4"}


def test_file_name_may_be_a_folder_of_files(tmp_path):
    folder = tmp_path / "data"
    write_data(folder, {"qa": {"file_name": "parts"}}, {})
    (folder / "parts").mkdir()
    (folder / "parts" / "1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QA[:2]))
    (folder / "parts" / "2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QA[2:]))
    assert sorted(load_registered("qa", str(folder))["solution"]) == ["1", "2", "3", "4", "5"]
    (folder / "parts" / "3.csv").write_text("instruction,output\nq,1\n")
    with pytest.raises(DatasetInfoError, match="the files in .* must all have the same type"):
        load_registered("qa", str(folder))


# ------------------------------------------------------------------------------------------------ the hub calls
@pytest.fixture
def recorded_load(monkeypatch):
    calls = []

    def fake_load_dataset(*args, **kwargs):
        calls.append((args, kwargs))
        return Dataset.from_list([{"question": "What is 2 + 2?", "answer": "4"}])

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    return calls


def test_hf_hub_url_loads_with_subset_folder_and_split(tmp_path, recorded_load):
    info = {"gsm": {"hf_hub_url": "openai/gsm8k", "subset": "main", "folder": "data", "split": "test",
                    "columns": {"prompt": "question", "query": None, "response": "answer"}}}
    dataset = load_registered("gsm", write_data(tmp_path / "data", info, {}))
    assert recorded_load == [
        ((), {"path": "openai/gsm8k", "name": "main", "data_dir": "data", "split": "test", "streaming": False})
    ]
    assert dataset[0]["prompt"] == [user("What is 2 + 2?")] and dataset[0]["solution"] == "4"


def test_online_names_are_hub_datasets_in_alpaca_format(recorded_load):
    with pytest.raises(DatasetInfoError, match="has no column 'instruction'"):
        load_registered("org/set", lf_data.ONLINE)
    assert recorded_load[0][1]["path"] == "org/set" and recorded_load[0][1]["split"] == "train"


def test_script_url_is_a_folder_under_dataset_dir(tmp_path, recorded_load):
    info = {"s": {"script_url": "my_script", "columns": {"prompt": "question", "response": "answer"}}}
    folder = write_data(tmp_path / "data", info, {})
    load_registered("s", folder)
    assert recorded_load[0][1]["path"] == str(tmp_path / "data" / "my_script")


# ---------------------------------------------------------------------------------------------- errors, named
@pytest.mark.parametrize(
    "entry, message",
    [
        ({"file_name": "x.json", "formating": "alpaca"}, "unknown key 'formating'; did you mean 'formatting'\\?"),
        ({"file_name": "x.json", "formatting": "chatml"}, "formatting='chatml' is not valid; choose one of: 'alpaca'"),
        ({"file_name": "x.json", "ranking": True}, "has ranking: true \\(a preference dataset"),
        ({"ms_hub_url": "a/b"}, "ms_hub_url is not supported"),
        ({"file_name": "x.json", "columns": {"images": "img"}}, "column 'images' is not supported \\(multimodal"),
        ({"file_name": "x.json", "columns": {"promt": "q"}}, "unknown column key 'promt'; did you mean 'prompt'\\?"),
        ({"file_name": "x.json", "tags": {"role": "r"}}, "unknown tag key 'role'; did you mean 'role_tag'\\?"),
        ({"file_name": "x.json", "num_samples": 0}, "num_samples=0 must be a positive integer"),
        ({"formatting": "alpaca"}, "needs one of file_name, hf_hub_url or script_url"),
        ({"file_name": "missing.json"}, "file_name 'missing.json' not found"),
    ],
)
def test_bad_entries_name_the_dataset_and_the_key(tmp_path, entry, message):
    folder = write_data(tmp_path / "data", {"mine": entry}, {})
    with pytest.raises(DatasetInfoError, match=f"dataset 'mine'.*{message}"):
        load_registered("mine", folder)


def test_undefined_dataset_suggests_a_registered_one(tmp_path):
    folder = write_data(tmp_path / "data", {"my_math_data": {"file_name": "x.json"}}, {})
    with pytest.raises(DatasetInfoError, match="dataset 'my_math' is not defined in .*; did you mean 'my_math_data'"):
        load_registered("my_math", folder)


def test_missing_dataset_info_names_the_path(tmp_path):
    with pytest.raises(DatasetInfoError, match="dataset_dir='.*' has no dataset_info.json \\(looked for"):
        load_registered("qa", str(tmp_path))


def test_alpaca_without_its_prompt_column_lists_the_columns(tmp_path):
    folder = write_data(tmp_path / "data", {"qa": {"file_name": "qa.json"}}, {"qa.json": [{"question": "q"}]})
    with pytest.raises(DatasetInfoError, match="has no column 'instruction'; its columns are \\['question'\\]"):
        load_registered("qa", folder)
