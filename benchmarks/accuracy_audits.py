"""Audited labels of the ``accuracy_labels`` benchmark: completions whose source label was found wrong on reading.

Every completion on which the source's label and the ``accuracy`` reward (defaults) disagreed was read by hand,
with its question and gold. ``AUDITS`` maps a record id (as built by :mod:`benchmarks.accuracy_data`) to
``(audited label, reason)`` where the source label is wrong; where it was right (the reward erred), the record keeps
its label and is not listed. The benchmark reports its figures against the audited labels, and the number of
corrections per style.

Kept as the sources label them (the reward is wrong there, a false negative): the answer restated in another form
by a later answer phrase (``25%. The answer (as a fraction) is 1/4.``), two equal forms given as alternatives
(``0.6 or 3/5``), a final sentence without a box whose last number is not the answer (``5 cars drove through ...
in the first 15 minutes.``, ``Three trucks ... 80 flagstones``), a rate written 0.7 for the gold 70 (percent), and
in the ``####`` sources a clock time ``#### 2:00`` for the gold 2 (2 pm) and an empty ``####`` line after ``… =
$20.00 more per hour than Sally.`` for the gold 20 (the source takes the last number).
"""

from __future__ import annotations

AUDITS: dict[str, tuple[bool, str]] = {
    'zero-shot-cot/gsm8k/zero_shot_cot/429': (
        True,
        "its answer sentence ends 'which equals 320', the gold; the source read the first number (90) (found when "
        "the reward started taking the value after the copula of a prose answer)",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/62': (
        True,
        "its answer sentence ends 'equals 360 students in total', the gold; the source read the first number (8)",
    ),
    'zero-shot-cot/svamp/zero_shot/61': (
        True,
        "'896 divided by 8 which is 112': the value it states is the gold; the source read the first number (896)",
    ),
    'zero-shot-cot/addsub/zero_shot/77': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/addsub/zero_shot/176': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/addsub/zero_shot/217': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/addsub/zero_shot/365': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/addsub/zero_shot_cot/107': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/addsub/zero_shot_cot/150': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/addsub/zero_shot_cot/155': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/addsub/zero_shot_cot/176': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/addsub/zero_shot_cot/177': (
        False,
        'final answer 5 + 5 = 10 counts the apples too; the question asks for pears (5); the source read the '
        'first number',
    ),
    'zero-shot-cot/addsub/zero_shot_cot/248': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/addsub/zero_shot_cot/279': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/gsm8k/zero_shot/488': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot/664': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/297': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/338': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/363': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/402': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/428': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/488': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/608': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/754': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/838': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/893': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/979': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/1017': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/1181': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/gsm8k/zero_shot_cot/1261': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/multiarith/zero_shot/216': (
        True,
        '2 pictures in each of the 3 albums is right; the source removed the commas and read 222',
    ),
    'zero-shot-cot/multiarith/zero_shot/254': (
        False,
        'answers with a sequence 5, 8, 11, ..., 26, not the number per album; the source read the first '
        'number',
    ),
    'zero-shot-cot/multiarith/zero_shot/406': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/195': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/243': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/295': (
        True,
        'states the right number (The answer is N) before restating it in words or Roman numerals; the source'
        ' read the restatement',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/406': (
        True,
        'states the right number (The answer is N) before restating it in words or Roman numerals; the source'
        ' read the restatement',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/460': (
        True,
        'states the right number (The answer is N) before restating it in words or Roman numerals; the source'
        ' read the restatement',
    ),
    'zero-shot-cot/multiarith/zero_shot_cot/497': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot/251': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot/364': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/144': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/159': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/189': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/240': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/269': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/276': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/322': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/416': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/435': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/449': (
        False,
        'final answer lists ten 13s and a 14 (claims 143 % 11 = 1); not the single answer 13; the source read'
        ' the first number',
    ),
    'zero-shot-cot/singleeq/zero_shot_cot/470': (
        True,
        "writes the gold as a fraction or with a leading point; the source's number extraction misses it",
    ),
    'zero-shot-cot/svamp/zero_shot/121': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/130': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/456': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/624': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/713': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/878': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot/906': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/60': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/125': (
        False,
        'final answer is an unfinished expression 7c + 60 - 6c / 14 = ... 7 + 4; the source read the first '
        'number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/313': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/352': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/723': (
        False,
        'final answer is 1/3 (18/266 * 90/266 = 1/3); the source read the first number 18',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/753': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/858': (
        True,
        'the final value of its equation is the gold; the source read the first number',
    ),
    'zero-shot-cot/svamp/zero_shot_cot/897': (
        False,
        'final answer 89 + 6 = 95 adds the lite soda the question excludes; the source read the first number',
    ),
    'tora/tora-code-34b-v1.0/191': (
        False,
        "answers 0.05 pounds per day (divides by the ducks); 5 is right; the source's percent tolerance "
        '(5/100) accepted it',
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000001/3155/1': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000003/288/7': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000006/128/3': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000007/3194/1': (
        True,
        'writes the requested base-2 numeral 10001 without the subscript _2; the course grader rejected it',
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000007/3194/6': (
        True,
        'writes the requested base-2 numeral 10001 without the subscript _2; the course grader rejected it',
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000016/2476/4': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000018/996/1': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000086/3097/5': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__no_baseline__grpo_step_000087/386/4': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000006/128/3': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000007/3194/0': (
        True,
        'writes the requested base-2 numeral 10001 without the subscript _2; the course grader rejected it',
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000007/3194/1': (
        True,
        'writes the requested base-2 numeral 10001 without the subscript _2; the course grader rejected it',
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000007/3194/6': (
        False,
        'answers 100012, not the base-2 numeral 10001_2; the source grader compared strings with the '
        'underscore removed',
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000007/3194/7': (
        True,
        'writes the requested base-2 numeral 10001 without the subscript _2; the course grader rejected it',
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000012/1674/1': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000109/370/4': (
        False,
        'answers two values 5 and -3; the only integer solution is 5',
    ),
    'cs336/grpo_baselines__reinforce_with_baseline__grpo_step_000109/370/7': (
        False,
        'answers two values 5 and -5; the only integer solution is 5',
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000002/4493/5': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000002/4493/7': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000011/1085/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000019/3569/7': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000032/893/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000033/3618/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000033/3618/1': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000043/678/4': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000049/186/5': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000050/1898/7': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000053/4175/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000058/3320/6': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000063/3842/3': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000078/4021/4': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000114/3577/6': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000120/1065/6': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000144/1435/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000171/137/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000178/652/0': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'cs336/grpo_train_loop__grpo_on_policy_lr1e-5__grpo_step_000188/932/3': (
        True,
        "right answer written with words, units, quotes, separators or its working (e.g. '21 values', 'x=4', "
        "'5^5 = 3125'); the course grader's string match rejected it",
    ),
    'rft-gsm8k/39933d67/714': (
        True,
        "right answer as the last side of an equation after #### ('#### 250 + 20 = 270'); the source takes "
        'the first number after ####',
    ),
    'rft-gsm8k/e088ed30/259': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/e088ed30/515': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/a9810e58/63': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/a9810e58/71': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/a9810e58/259': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/a9810e58/443': (
        True,
        'right answer written with trailing zeros (#### 2.00 for 2); the source compares answer and gold as '
        'strings',
    ),
    'rft-gsm8k/base/28': (
        True,
        'right answer written with trailing zeros (#### 2.00 for 2); the source compares answer and gold as '
        'strings',
    ),
    'rft-gsm8k/base/110': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/base/439': (
        True,
        'right answer written with trailing zeros (#### 2.00 for 2); the source compares answer and gold as '
        'strings',
    ),
    'rft-gsm8k/base/541': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/base/592': (
        True,
        "right answer as the last side of an equation after #### ('#### 250 + 20 = 270'); the source takes "
        'the first number after ####',
    ),
    'rft-gsm8k/base/902': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/base/1086': (
        True,
        "right answer after ####, with a sentence on a later line ('= #### 50\\n\\nSo, it will take Alfie 50 "
        "days'); the source reads the completion's last line only, which has no ####",
    ),
    'rft-gsm8k/39933d67/570': (
        False,
        "the final answer is the difference 125 - 96 = 29 (written '#### 125 - 96 = 29'); the question asks "
        'for the larger profit, 125; the source takes the first number after ####',
    ),
    'rft-gsm8k/337793ab/570': (
        False,
        "the final answer is the difference 125 - 96 = 29 (written '#### 125 - 96 = 29'); the question asks "
        'for the larger profit, 125; the source takes the first number after ####',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/407': (
        True,
        "right answer; the source's number extraction for this run reads a number with thousands commas as "
        "its digits after the last comma ('2,000' as 0, the gold '6,250' as 250), so answer and gold did not "
        'match',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/419': (
        True,
        "right answer; the source's number extraction for this run reads a number with thousands commas as "
        "its digits after the last comma ('2,000' as 0, the gold '6,250' as 250), so answer and gold did not "
        'match',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/819': (
        True,
        "right answer; the source's number extraction for this run reads a number with thousands commas as "
        "its digits after the last comma ('2,000' as 0, the gold '6,250' as 250), so answer and gold did not "
        'match',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/611': (
        False,
        "wrong answer whose digits after the last thousands comma match the gold's ('300,000' and '1,450,000'"
        " both read as 0, '600' and '6,600' as 600); the source's number extraction for this run compared "
        'only those',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/829': (
        False,
        "wrong answer whose digits after the last thousands comma match the gold's ('300,000' and '1,450,000'"
        " both read as 0, '600' and '6,600' as 600); the source's number extraction for this run compared "
        'only those',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/997': (
        False,
        "wrong answer whose digits after the last thousands comma match the gold's ('300,000' and '1,450,000'"
        " both read as 0, '600' and '6,600' as 600); the source's number extraction for this run compared "
        'only those',
    ),
    'gsm8k-rft-llama7b/output_bf16_bs32/1113': (
        False,
        "wrong answer 3 for the gold -3 (2 - 5 computed as 3); the source's number extraction drops minus "
        'signs',
    ),
}
