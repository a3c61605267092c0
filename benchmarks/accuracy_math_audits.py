"""Audited labels of the ``accuracy_math_labels`` benchmark: completions whose source label was found wrong.

The source label is the Qwen2.5-Math harness's own checker, so every completion on which it and the ``accuracy``
reward (defaults) disagreed was audited, in two ways:

* six kinds of disagreement that a plain rule recognises, independent of the reward (the answer's values equal the
  gold's as strings once reordered; the gold's number with a unit or an ``x \in`` in the gold; a value 100 times or
  a hundredth of the gold; an integer within 1e-4 of the gold; a strict subset of the gold's values) were each
  checked by reading completions of that kind with their question, then labelled by the rule (for the reordered
  lists, each of the 37 problems asks for all values, pairs or solutions, a set; where it names an order, as "the
  ages of Qing, Rayna and Paolo" or "the minimum and maximum", the completions read name each value);
* the others were read one by one, grouped by (gold, extracted answer).

The second source's labels (kuk/simple-evals-ru) are an LLM judge's verdicts; every completion on which it and the
``accuracy`` reward (with the rules of that round) disagreed was read one by one, grouped by (gold, extracted answer),
with its question. The criterion is the one above: the final answer's value against the gold's, as the question
asks for it (an unsimplified fraction of the right value is right unless the question asks for lowest terms; a
value without the unit, degree sign or base subscript the question names is right; a right final answer after
wrong arithmetic is right; no final answer, a cut-off completion or a different value is wrong). 84 of its labels
were corrected (78 to right, 6 to wrong), 4 more Qwen2.5-Math labels whose disagreement the new rules brought up,
and the two Qwen2.5-Math ``\\frac{65}{169}`` answers for ``\\frac{5}{13}`` that the first round had kept as wrong
(one criterion for both sources).

The third round's sources (DeepSeek-R1-Distill-Qwen-1.5B and Qwen2.5-Math-1.5B on 20 MATH-500 problems with the
source's own answer matcher; Qwen2.5-Math-1.5B and -Instruct under the R1-Zero prompt with CS336's ``r1_zero``
grader, which gives 0 to any completion without ``</think> <answer>`` and ``</answer>`` verbatim) were audited the
same way, with one more rule of the criterion: a completion whose thinking block (opened by it or by the prompt) is
never closed has not answered and is wrong, whatever its thinking holds. 117 labels were corrected (116 to right: a
closed thinking followed by the gold's value, which the r1_zero grader refused for its format or string
normalisation, or the CS6493 source's matcher for ``\\dfrac``, a sentence or a tuple's spacing; 1 to wrong: a
completion cut off inside its thinking that the first source counted right), and 2 more seen while reading, though
both graders agreed (right answers that both miss: a name in a sentence, a Unicode root), and 1 Qwen2.5-Math label
that this round's Unicode-root rule brought up (``12π inches per second`` for ``12\\pi``); 6 disagreements keep their
label (two completions cut off at the length limit after their answer, an answer followed by looping garbage, two
roots listed for their difference, an answer followed by an invented dialogue, ``c \\le \\frac{25}{8}`` for the
largest ``c``).

``AUDITS`` maps a record id (as built by :mod:`benchmarks.accuracy_math_data`) to ``(audited label, reason)`` where
the source label is wrong; where it was right (the reward erred) or could not be decided on reading (a rounded
decimal for a fraction, an answer stated and then followed by garbage), the record keeps its label and is not listed.
"""

from __future__ import annotations

_R00 = (
    '(-\\infty, 0) is not the gold (-\\infty, 0]'
)

_R01 = (
    '(B): the gold'
)

_R02 = (
    '(C): the gold'
)

_R03 = (
    "(x, y) = (1000, 10): the gold's values 10^3, 10"
)

_R04 = (
    "-10 is not the gold's -18"
)

_R05 = (
    '-3 is not -\\log_{10} 250'
)

_R06 = (
    "1, 3 is not the gold's set"
)

_R07 = (
    "100 and 0.01: the gold's values"
)

_R08 = (
    '111111000 is not the gold 11,111,111,100'
)

_R09 = (
    '12th grade: the gold 12'
)

_R10 = (
    '2 2/5 is not the gold 1 4/5'
)

_R11 = (
    '2516, the gold 2516_8 without its base subscript (the question asks for base 8)'
)

_R12 = (
    '3 - 2\\sqrt{2}, 3 + 2\\sqrt{2}: the gold 3 \\pm 2\\sqrt{2}'
)

_R13 = (
    "8 and 1/\\sqrt[3]{4} = 2^{-2/3}: the gold's values"
)

_R14 = (
    '9 elements: the gold'
)

_R15 = (
    'East: the gold'
)

_R16 = (
    'Evelyn: the gold'
)

_R17 = (
    '[2, \\infty) is not the gold (2, \\infty)'
)

_R18 = (
    "\\pm 1, \\pm 7: the gold's four values"
)

_R19 = (
    '\\sin T = \\sqrt{21}/5: the gold'
)

_R20 = (
    'a list of values against the single gold'
)

_R21 = (
    'a repetition loop whose every answer is the gold; cut at the length limit'
)

_R22 = (
    'a repetition loop whose every answer is the gold; cut inside its last box, which the source read'
)

_R23 = (
    'a second value listed beside the gold'
)

_R24 = (
    'a wrong integer within relative 1e-4 of the gold, which the source accepts as equal'
)

_R25 = (
    'a wrong value: the gold times or divided by 100, which the source accepts as a percent form'
)

_R26 = (
    'an extra term beside the gold'
)

_R27 = (
    "gives only some of the gold's values, the question asks for all of them"
)

_R28 = (
    'k \\geq 2 is the gold k \\geqslant 2'
)

_R29 = (
    "lists (1, 1006), (13, 28): not the gold's pairs"
)

_R30 = (
    "lists (1, 1006), (3, 167): not the gold's pairs"
)

_R31 = (
    'no final answer: cut off at the length limit, a degenerate repetition or a restatement of the '
    'question; the source took a number of the text'
)

_R32 = (
    "not the gold's values"
)

_R33 = (
    "states maximum 3 and minimum 1, the gold's values"
)

_R34 = (
    "states the gold as its final answer ('the final answer is w = 6 - 5i', 'the correct answer is ... "
    "120^\\circ'), then is cut off at the tool-call limit while checking it with code"
)

_R35 = (
    'stopped at the tool-call limit after a code output, without a final answer'
)

_R36 = (
    "the gold function's right side (g(x) = x^2-2x+2 written as x^2-2x+2 or (x-1)^2+1)"
)

_R37 = (
    "the gold polynomial's right side"
)

_R38 = (
    "the gold's interval; the gold starts 'x \\in', which the source does not remove"
)

_R39 = (
    "the gold's number; the gold carries a unit (\\mbox{ cm}^2) that the source does not remove"
)

_R40 = (
    "the gold's points in another order, 1/100 written 0.01"
)

_R41 = (
    "the gold's solution families, in another form"
)

_R42 = (
    "the gold's triples in another order"
)

_R43 = (
    "the gold's values as a set"
)

_R44 = (
    "the gold's values in another order, or joined by 'and' / '\\quad' / a set brace; the question asks "
    'for all of them (a set); the source compares lists in order'
)

_R45 = (
    'the gold, written differently (spacing, \\dfrac, a base subscript, a chain of equalities ending in '
    'it, a stated value)'
)

AUDITS: dict[str, tuple[bool, str]] = {
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/math500/217': (False, _R08),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/math500/25': (False, _R31),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/114': (False, _R27),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/18': (False, _R31),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/216': (True, _R07),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/226': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/231': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/281': (True, _R13),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/292': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/306': (False, _R05),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/386': (False, _R27),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/514': (False, _R31),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/71': (True, _R44),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/72': (True, _R28),
    'rl-sft/1.5B-eval-math-cot-nobox-to-pi1/olympiadbench/91': (False, _R23),
    'rl-sft/1.5B-eval-nb/math500/31': (True, _R45),
    'rl-sft/1.5B-eval-nb/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-nb/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-nb/math500/479': (False, _R31),
    'rl-sft/1.5B-eval-nb/olympiadbench/0': (False, _R31),
    'rl-sft/1.5B-eval-nb/olympiadbench/114': (False, _R27),
    'rl-sft/1.5B-eval-nb/olympiadbench/151': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/177': (True, _R45),
    'rl-sft/1.5B-eval-nb/olympiadbench/181': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/214': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/216': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/223': (True, _R37),
    'rl-sft/1.5B-eval-nb/olympiadbench/225': (False, _R31),
    'rl-sft/1.5B-eval-nb/olympiadbench/231': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-nb/olympiadbench/260': (False, _R27),
    'rl-sft/1.5B-eval-nb/olympiadbench/27': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/280': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-nb/olympiadbench/292': (False, _R31),
    'rl-sft/1.5B-eval-nb/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-nb/olympiadbench/306': (False, _R27),
    'rl-sft/1.5B-eval-nb/olympiadbench/348': (False, _R25),
    'rl-sft/1.5B-eval-nb/olympiadbench/505': (True, _R45),
    'rl-sft/1.5B-eval-nb/olympiadbench/650': (False, _R24),
    'rl-sft/1.5B-eval-nb/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-pi1+ci/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-pi1+ci/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-pi1+ci/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-pi1+ci/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-pi1+ci/math500/71': (True, _R11),
    'rl-sft/1.5B-eval-pi1-modify/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-pi1-modify/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-pi1-modify/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-pi1-modify/math500/71': (True, _R11),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/114': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/148': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/151': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/154': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/187': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/206': (False, _R06),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/207': (True, _R40),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/248': (False, _R30),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/265': (False, _R23),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/281': (True, _R13),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/293': (False, _R23),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/361': (False, _R25),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/556': (True, _R44),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/598': (False, _R31),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-pi1-modify/olympiadbench/72': (True, _R28),
    'rl-sft/1.5B-eval-pi1/math500/227': (True, _R02),
    'rl-sft/1.5B-eval-pi1/math500/25': (False, _R27),
    'rl-sft/1.5B-eval-pi1/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-pi1/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-pi1/math500/71': (True, _R11),
    'rl-sft/1.5B-eval-pi1/olympiadbench/126': (False, _R27),
    'rl-sft/1.5B-eval-pi1/olympiadbench/154': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-pi1/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-pi1/olympiadbench/248': (False, _R30),
    'rl-sft/1.5B-eval-pi1/olympiadbench/265': (False, _R23),
    'rl-sft/1.5B-eval-pi1/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-pi1/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-pi1/olympiadbench/306': (False, _R27),
    'rl-sft/1.5B-eval-pi1/olympiadbench/597': (False, _R23),
    'rl-sft/1.5B-eval-pi1/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-pi1/olympiadbench/72': (True, _R28),
    'rl-sft/1.5B-eval-promptnobox/math500/107': (True, _R14),
    'rl-sft/1.5B-eval-promptnobox/math500/146': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/20': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/219': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/math500/277': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/31': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/345': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/367': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/373': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/379': (True, _R09),
    'rl-sft/1.5B-eval-promptnobox/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-promptnobox/math500/389': (True, _R19),
    'rl-sft/1.5B-eval-promptnobox/math500/404': (False, _R31),
    'rl-sft/1.5B-eval-promptnobox/math500/449': (True, _R21),
    'rl-sft/1.5B-eval-promptnobox/math500/455': (False, _R31),
    'rl-sft/1.5B-eval-promptnobox/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-promptnobox/math500/489': (False, _R31),
    'rl-sft/1.5B-eval-promptnobox/math500/499': (False, _R31),
    'rl-sft/1.5B-eval-promptnobox/math500/70': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/71': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/73': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/math500/98': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/114': (False, _R27),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/145': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/148': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/154': (False, _R32),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/206': (False, _R27),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/207': (True, _R40),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/248': (False, _R30),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/260': (False, _R27),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/32': (True, _R44),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/348': (False, _R25),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/361': (False, _R25),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/49': (False, _R25),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/532': (True, _R45),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/650': (False, _R24),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-promptnobox/olympiadbench/71': (True, _R44),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/133': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/160': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/182': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/204': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/243': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/264': (False, _R10),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/331': (True, _R45),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/337': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/379': (True, _R09),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/389': (True, _R19),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/396': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/4': (True, _R16),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/411': (True, _R21),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/417': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/455': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/456': (True, _R44),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/489': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/87': (False, _R31),
    'rl-sft/1.5B-eval-promptoriginal-stopword/math500/97': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+ci/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/math500/307': (False, _R00),
    'rl-sft/1.5B-eval-to+pi1+ci/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/126': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/154': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/206': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/207': (True, _R40),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/248': (False, _R29),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/280': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/293': (False, _R23),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/299': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/361': (False, _R25),
    'rl-sft/1.5B-eval-to+pi1+ci/olympiadbench/503': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+nb/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1+nb/math500/379': (True, _R09),
    'rl-sft/1.5B-eval-to+pi1+nb/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to+pi1+nb/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/126': (False, _R32),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/14': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/151': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/159': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/169': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/184': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/187': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/193': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/207': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/226': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/231': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/269': (True, _R41),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/27': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/293': (False, _R23),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/348': (False, _R25),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/556': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/71': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+nb/olympiadbench/78': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/math500/284': (True, _R12),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/math500/379': (True, _R09),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/math500/97': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/129': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/151': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/166': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/169': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/181': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/185': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/207': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/226': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/260': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/269': (True, _R41),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/27': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/280': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/299': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/306': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/348': (False, _R25),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/429': (True, _R33),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/71': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr+nb/olympiadbench/72': (True, _R28),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/232': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/36': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1+qr/math500/97': (True, _R15),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/114': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/154': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/206': (False, _R06),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/216': (True, _R07),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/226': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/306': (False, _R05),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/514': (False, _R31),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/650': (False, _R24),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/68': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1+qr/olympiadbench/91': (False, _R23),
    'rl-sft/1.5B-eval-to+pi1/math500/25': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to+pi1/math500/456': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-to+pi1/math500/97': (True, _R15),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/148': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/151': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/154': (True, _R18),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/216': (True, _R07),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/248': (False, _R30),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/260': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/306': (False, _R27),
    'rl-sft/1.5B-eval-to+pi1/olympiadbench/597': (False, _R23),
    'rl-sft/1.5B-eval-to/olympiadbench/114': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/126': (False, _R32),
    'rl-sft/1.5B-eval-to/olympiadbench/187': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/203': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/204': (True, _R36),
    'rl-sft/1.5B-eval-to/olympiadbench/206': (False, _R27),
    'rl-sft/1.5B-eval-to/olympiadbench/207': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/216': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/237': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/243': (True, _R03),
    'rl-sft/1.5B-eval-to/olympiadbench/248': (False, _R30),
    'rl-sft/1.5B-eval-to/olympiadbench/288': (False, _R27),
    'rl-sft/1.5B-eval-to/olympiadbench/301': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/303': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/306': (False, _R31),
    'rl-sft/1.5B-eval-to/olympiadbench/361': (False, _R25),
    'rl-sft/1.5B-eval-to/olympiadbench/386': (False, _R27),
    'rl-sft/1.5B-eval-to/olympiadbench/650': (False, _R24),
    'rl-sft/1.5B-eval-to/olympiadbench/71': (True, _R44),
    'rl-sft/1.5B-eval-to/olympiadbench/72': (True, _R28),
    'rl-sft/1.5B-eval-to/test_qwen25-math-cot/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to/test_to/math500/25': (True, _R44),
    'rl-sft/1.5B-eval-to/test_to/math500/257': (True, _R39),
    'rl-sft/1.5B-eval-to/test_to/math500/264': (False, _R10),
    'rl-sft/1.5B-eval-to/test_to/math500/324': (True, _R34),
    'rl-sft/1.5B-eval-to/test_to/math500/337': (False, _R31),
    'rl-sft/1.5B-eval-to/test_to/math500/353': (False, _R31),
    'rl-sft/1.5B-eval-to/test_to/math500/383': (True, _R38),
    'rl-sft/1.5B-eval-to/test_to/math500/396': (False, _R31),
    'rl-sft/1.5B-eval-to/test_to/math500/425': (False, _R26),
    'rl-sft/1.5B-eval-to/test_to/math500/456': (True, _R44),
    'rl-sft/1.5B-eval-to/test_to/math500/467': (True, _R39),
    'rl-sft/1.5B-eval-to/test_to/math500/8': (True, _R45),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/math500/257': (True, _R39),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/math500/379': (True, _R09),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/math500/97': (False, _R31),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/154': (True, _R44),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/181': (True, _R44),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/207': (True, _R44),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/216': (False, _R27),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/226': (True, _R44),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/306': (False, _R27),
    'rl-sft/7B-eval-math-cot-nobox-to-pi1/olympiadbench/506': (False, _R25),
    'rl-sft/7B-eval-offRLVR-20/math500/160': (True, _R21),
    'rl-sft/7B-eval-offRLVR-20/math500/467': (True, _R39),
    'rl-sft/7B-eval-offRLVR-20/math500/65': (True, _R22),
    'rl-sft/7B-eval-offRLVR-20/math500/70': (True, _R45),
    'rl-sft/7B-eval-offRLVR-20/math500/97': (False, _R31),
    'rl-sft/7B-eval-onlypi1/math500/204': (False, _R31),
    'rl-sft/7B-eval-onlypi1/math500/25': (True, _R44),
    'rl-sft/7B-eval-onlypi1/math500/257': (True, _R39),
    'rl-sft/7B-eval-onlypi1/math500/383': (True, _R38),
    'rl-sft/7B-eval-onlypi1/math500/456': (True, _R44),
    'rl-sft/7B-eval-onlypi1/math500/467': (True, _R39),
    'rl-sft/7B-eval-onlypi1/olympiadbench/151': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/154': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/157': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/166': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/169': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/185': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/207': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/226': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/231': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/283': (False, _R35),
    'rl-sft/7B-eval-onlypi1/olympiadbench/289': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/292': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/303': (True, _R44),
    'rl-sft/7B-eval-onlypi1/olympiadbench/7': (False, _R31),
    'rl-sft/7B-eval-onlypi1/olympiadbench/78': (False, _R25),
    'rl-sft/7B-eval-pi1+to-stopwords/math500/165': (True, _R45),
    'rl-sft/7B-eval-pi1+to-stopwords/math500/206': (True, _R45),
    'rl-sft/7B-eval-pi1+to-stopwords/math500/25': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/math500/257': (True, _R39),
    'rl-sft/7B-eval-pi1+to-stopwords/math500/383': (True, _R38),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/120': (True, _R42),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/151': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/154': (True, _R18),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/166': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/169': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/181': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/187': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/204': (True, _R36),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/207': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/223': (True, _R37),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/237': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/243': (True, _R03),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/260': (False, _R27),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/27': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/288': (False, _R27),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/306': (False, _R27),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/68': (False, _R27),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/71': (True, _R44),
    'rl-sft/7B-eval-pi1+to-stopwords/olympiadbench/78': (False, _R25),
    'rl-sft/7B-eval-pi1+to/math500/15': (True, _R34),
    'rl-sft/7B-eval-pi1+to/math500/21': (False, _R24),
    'rl-sft/7B-eval-pi1+to/math500/257': (True, _R39),
    'rl-sft/7B-eval-pi1+to/math500/379': (True, _R09),
    'rl-sft/7B-eval-pi1+to/math500/383': (True, _R38),
    'rl-sft/7B-eval-pi1+to/olympiadbench/120': (True, _R42),
    'rl-sft/7B-eval-pi1+to/olympiadbench/14': (False, _R31),
    'rl-sft/7B-eval-pi1+to/olympiadbench/159': (True, _R43),
    'rl-sft/7B-eval-pi1+to/olympiadbench/169': (True, _R44),
    'rl-sft/7B-eval-pi1+to/olympiadbench/204': (True, _R36),
    'rl-sft/7B-eval-pi1+to/olympiadbench/207': (True, _R40),
    'rl-sft/7B-eval-pi1+to/olympiadbench/231': (True, _R44),
    'rl-sft/7B-eval-pi1+to/olympiadbench/237': (True, _R44),
    'rl-sft/7B-eval-pi1+to/olympiadbench/288': (False, _R27),
    'rl-sft/7B-eval-pi1+to/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-pi1+to/olympiadbench/306': (False, _R27),
    'rl-sft/7B-eval-pi1+to/olympiadbench/348': (False, _R25),
    'rl-sft/7B-eval-pi1+to/olympiadbench/381': (True, _R44),
    'rl-sft/7B-eval-pi1+to/olympiadbench/68': (False, _R27),
    'rl-sft/7B-eval-pi1+to/olympiadbench/71': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/math500/25': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/math500/257': (True, _R39),
    'rl-sft/7B-eval-pi1-modify/math500/383': (True, _R38),
    'rl-sft/7B-eval-pi1-modify/math500/467': (True, _R39),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/114': (False, _R27),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/126': (False, _R27),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/148': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/151': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/157': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/159': (False, _R27),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/187': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/204': (True, _R36),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/207': (True, _R40),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/237': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/243': (True, _R03),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/260': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/269': (True, _R41),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/27': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/288': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/289': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/290': (False, _R25),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/348': (False, _R25),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/64': (True, _R44),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/650': (False, _R24),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/68': (False, _R27),
    'rl-sft/7B-eval-pi1-modify/olympiadbench/71': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/math500/184': (False, _R17),
    'rl-sft/7B-eval-pi1-stopwords/math500/257': (True, _R39),
    'rl-sft/7B-eval-pi1-stopwords/math500/383': (True, _R38),
    'rl-sft/7B-eval-pi1-stopwords/math500/456': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/math500/467': (True, _R39),
    'rl-sft/7B-eval-pi1-stopwords/math500/71': (True, _R11),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/114': (False, _R27),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/120': (True, _R42),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/138': (False, _R27),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/148': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/154': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/169': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/185': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/204': (True, _R36),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/207': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/231': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/260': (False, _R27),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/280': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/283': (False, _R35),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/288': (False, _R27),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/289': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/292': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/293': (False, _R23),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/429': (True, _R33),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/66': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/71': (True, _R44),
    'rl-sft/7B-eval-pi1-stopwords/olympiadbench/78': (False, _R25),
    'rl-sft/7B-eval-promptnobox/math500/184': (False, _R17),
    'rl-sft/7B-eval-promptnobox/olympiadbench/114': (False, _R27),
    'rl-sft/7B-eval-promptnobox/olympiadbench/127': (False, _R31),
    'rl-sft/7B-eval-promptnobox/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/206': (False, _R06),
    'rl-sft/7B-eval-promptnobox/olympiadbench/216': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/223': (True, _R37),
    'rl-sft/7B-eval-promptnobox/olympiadbench/237': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/243': (True, _R03),
    'rl-sft/7B-eval-promptnobox/olympiadbench/260': (False, _R27),
    'rl-sft/7B-eval-promptnobox/olympiadbench/27': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/280': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-promptnobox/olympiadbench/306': (False, _R27),
    'rl-sft/7B-eval-promptnobox/olympiadbench/348': (False, _R25),
    'rl-sft/7B-eval-promptnobox/olympiadbench/624': (False, _R25),
    'rl-sft/7B-eval-promptnobox/olympiadbench/68': (False, _R27),
    'rl-sft/7B-eval-promptnobox/olympiadbench/78': (False, _R25),
    'rl-sft/7B-eval-promptoriginal/math500/184': (False, _R17),
    'rl-sft/7B-eval-promptoriginal/math500/333': (False, _R31),
    'rl-sft/7B-eval-promptoriginal/math500/383': (True, _R38),
    'rl-sft/7B-eval-promptoriginal/math500/467': (True, _R39),
    'rl-sft/7B-eval-promptoriginal/math500/71': (True, _R11),
    'rl-sft/7B-eval-to-stopwords/math500/25': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/math500/257': (True, _R39),
    'rl-sft/7B-eval-to-stopwords/math500/296': (True, _R01),
    'rl-sft/7B-eval-to-stopwords/math500/383': (True, _R38),
    'rl-sft/7B-eval-to-stopwords/math500/467': (True, _R39),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/114': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/148': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/159': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/160': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/166': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/181': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/184': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/185': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/187': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/207': (True, _R40),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/225': (False, _R04),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/231': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/237': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/243': (True, _R03),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/248': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/27': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/280': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/288': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/306': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/32': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/348': (False, _R25),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/556': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/672': (True, _R22),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/68': (False, _R27),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/71': (True, _R44),
    'rl-sft/7B-eval-to-stopwords/olympiadbench/72': (True, _R28),
    'rl-sft/7B-eval-to/math500/383': (True, _R38),
    'rl-sft/7B-eval-to/math500/456': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/114': (False, _R27),
    'rl-sft/7B-eval-to/olympiadbench/14': (False, _R31),
    'rl-sft/7B-eval-to/olympiadbench/151': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/159': (False, _R27),
    'rl-sft/7B-eval-to/olympiadbench/166': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/181': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/203': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/204': (True, _R36),
    'rl-sft/7B-eval-to/olympiadbench/207': (True, _R40),
    'rl-sft/7B-eval-to/olympiadbench/216': (False, _R27),
    'rl-sft/7B-eval-to/olympiadbench/223': (True, _R37),
    'rl-sft/7B-eval-to/olympiadbench/226': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/243': (True, _R03),
    'rl-sft/7B-eval-to/olympiadbench/248': (False, _R27),
    'rl-sft/7B-eval-to/olympiadbench/265': (False, _R23),
    'rl-sft/7B-eval-to/olympiadbench/269': (True, _R41),
    'rl-sft/7B-eval-to/olympiadbench/279': (False, _R25),
    'rl-sft/7B-eval-to/olympiadbench/280': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/301': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/303': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/348': (False, _R25),
    'rl-sft/7B-eval-to/olympiadbench/49': (False, _R20),
    'rl-sft/7B-eval-to/olympiadbench/556': (True, _R44),
    'rl-sft/7B-eval-to/olympiadbench/66': (False, _R27),
}


# ---- added with the second source (kuk/simple-evals-ru) and the rules of that round: every disagreement read
# one by one, grouped by (gold, extracted answer)

_S00 = '(3/2, -25/2) is not the gold (3/2, -13)'
_S01 = '(E): the gold \\text{(E)}'
_S02 = "-2, 1: the gold's values (the question asks for all such integers)"
_S03 = '-5x + 7y - 11z - 4 = 0 has A < 0; the question asks for A > 0 (the gold 5x - 7y + 11z + 4 = 0)'
_S04 = '10 (percent): the gold 10 (the question asks for the rate in percent)'
_S05 = '10%: the gold 10 (the question asks by what percent)'
_S06 = '12 (a = 10, b = 2): the gold'
_S07 = '12: the gold'
_S08 = '203: the gold'
_S09 = "2187/5625 = 243/625: the gold's value (not in lowest terms)"
_S10 = '2516, the gold 2516_8 without its base subscript (the question asks for base 8)'
_S11 = '3/2: the gold'
_S12 = '30 (degrees): the gold 30^\\circ (the question asks for the angle in degrees)'
_S13 = '31 is not the gold 4495'
_S14 = '40, the gold 40_9 without its base subscript (the question asks for base 9)'
_S15 = "65/169 = 5/13: the gold's value (not in lowest terms; the question does not ask for them)"
_S16 = '81: the gold (the final answer; the arithmetic before it is wrong)'
_S17 = 'Chris is 10 years old: the gold 10'
_S18 = 'cut off mid-sentence before any answer; 10,080 is written nowhere'
_S19 = "no final answer: the completion repeats '= 4 \\cdot 2^{4/3}' until cut off; 16 is written nowhere as its answer"
_S20 = 'the chain ends with 15x - 80: the gold'
_S21 = 'the completion ends with 6 / 4 = 1: its final answer is 1, not the gold 6'
_S22 = 'x = 5: the gold 5 (the final answer; the arithmetic before it is wrong)'
_S23 = 'x = \\sqrt{3}: the gold'
_S24 = '±sqrt(17 - 12 sqrt 2) = ±(3 - 2 sqrt 2): -(3 - 2 sqrt 2) is no solution and 3 + 2 sqrt 2 is missing'

AUDITS.update({
    # the criterion above, applied to the Qwen2.5-Math solutions of the same problem as well (one rule for both sources)
    'rl-sft/7B-eval-offRLVR-20/math500/496': (True, _S15),
    'rl-sft/7B-eval-promptnobox/math500/496': (True, _S15),
    'rl-sft/1.5B-eval-nb/olympiadbench/291': (True, _S23),
    'rl-sft/1.5B-eval-to+pi1+ci/math500/179': (False, _S03),
    'rl-sft/1.5B-eval-to/test_qwen25-math-cot/math500/384': (True, _S20),
    'rl-sft/7B-eval-promptnobox/olympiadbench/291': (True, _S23),
    'simple-evals-ru/01_gemini_flash_1_5/1064': (True, _S05),
    'simple-evals-ru/02_llama_3_2_1b/1380': (False, _S18),
    'simple-evals-ru/03_llama_3_2_3b/1064': (True, _S05),
    'simple-evals-ru/04_llama_3_1_8b/1064': (True, _S05),
    'simple-evals-ru/04_llama_3_1_8b/1164': (True, _S01),
    'simple-evals-ru/05_llama_3_3_70b/1049': (True, _S12),
    'simple-evals-ru/05_llama_3_3_70b/1164': (True, _S01),
    'simple-evals-ru/05_llama_3_3_70b/2146': (True, _S15),
    'simple-evals-ru/05_llama_3_3_70b/3560': (True, _S09),
    'simple-evals-ru/06_qwen_2_5_7b/1049': (True, _S12),
    'simple-evals-ru/06_qwen_2_5_7b/1064': (True, _S05),
    'simple-evals-ru/06_qwen_2_5_7b/4349': (True, _S02),
    'simple-evals-ru/07_yandexgpt_4_lite/2754': (False, _S13),
    'simple-evals-ru/07_yandexgpt_4_lite/841': (True, _S22),
    'simple-evals-ru/08_gigachat_lite/1049': (True, _S12),
    'simple-evals-ru/08_gigachat_lite/2146': (True, _S15),
    'simple-evals-ru/10_llama_3_1_8b/1049': (True, _S12),
    'simple-evals-ru/10_llama_3_1_8b/2146': (True, _S15),
    'simple-evals-ru/10_llama_3_1_8b/4666': (False, _S21),
    'simple-evals-ru/11_yandexgpt_4_pro/1049': (True, _S12),
    'simple-evals-ru/12_gigachat_pro/1049': (True, _S12),
    'simple-evals-ru/12_gigachat_pro/2146': (True, _S15),
    'simple-evals-ru/13_llama_3_3_70b/1049': (True, _S12),
    'simple-evals-ru/13_llama_3_3_70b/1164': (True, _S01),
    'simple-evals-ru/13_llama_3_3_70b/2146': (True, _S15),
    'simple-evals-ru/14_gigachat_max/1049': (True, _S12),
    'simple-evals-ru/14_gigachat_max/1064': (True, _S05),
    'simple-evals-ru/14_gigachat_max/2146': (True, _S15),
    'simple-evals-ru/15_qwen_2_5_72b/1049': (True, _S12),
    'simple-evals-ru/15_qwen_2_5_72b/1064': (True, _S05),
    'simple-evals-ru/15_qwen_2_5_72b/1164': (True, _S01),
    'simple-evals-ru/15_qwen_2_5_72b/3653': (True, _S10),
    'simple-evals-ru/16_deepseek_v3/1049': (True, _S12),
    'simple-evals-ru/16_deepseek_v3/1164': (True, _S01),
    'simple-evals-ru/16_deepseek_v3/1587': (True, _S04),
    'simple-evals-ru/16_deepseek_v3/2536': (True, _S11),
    'simple-evals-ru/16_deepseek_v3/3653': (True, _S10),
    'simple-evals-ru/16_deepseek_v3/929': (True, _S14),
    'simple-evals-ru/17_yandexgpt_5_pro/1049': (True, _S12),
    'simple-evals-ru/17_yandexgpt_5_pro/1064': (True, _S05),
    'simple-evals-ru/18_cotype_nano/1946': (False, _S00),
    'simple-evals-ru/18_cotype_nano/2146': (True, _S15),
    'simple-evals-ru/18_cotype_nano/917': (True, _S17),
    'simple-evals-ru/19_t_lite/1049': (True, _S12),
    'simple-evals-ru/19_t_lite/1064': (True, _S05),
    'simple-evals-ru/19_t_lite/1164': (True, _S01),
    'simple-evals-ru/19_t_lite/2536': (True, _S11),
    'simple-evals-ru/19_t_lite/3296': (True, _S08),
    'simple-evals-ru/19_t_lite/3539': (False, _S24),
    'simple-evals-ru/19_t_lite/3653': (True, _S10),
    'simple-evals-ru/20_t_pro/1064': (True, _S05),
    'simple-evals-ru/21_saiga/1049': (True, _S12),
    'simple-evals-ru/21_saiga/1164': (True, _S01),
    'simple-evals-ru/21_saiga/1587': (True, _S04),
    'simple-evals-ru/22_vikhr/1049': (True, _S12),
    'simple-evals-ru/22_vikhr/1064': (True, _S05),
    'simple-evals-ru/23_saiga/1064': (True, _S05),
    'simple-evals-ru/23_saiga/2146': (True, _S15),
    'simple-evals-ru/24_ruadapt/1049': (True, _S12),
    'simple-evals-ru/24_ruadapt/1064': (True, _S05),
    'simple-evals-ru/24_ruadapt/1164': (True, _S01),
    'simple-evals-ru/24_ruadapt/929': (True, _S14),
    'simple-evals-ru/25_gigachat_lite/1049': (True, _S12),
    'simple-evals-ru/25_gigachat_lite/1064': (True, _S05),
    'simple-evals-ru/26_gigachat_pro/1049': (True, _S12),
    'simple-evals-ru/26_gigachat_pro/1164': (True, _S01),
    'simple-evals-ru/26_gigachat_pro/2146': (True, _S15),
    'simple-evals-ru/26_gigachat_pro/2379': (False, _S19),
    'simple-evals-ru/26_gigachat_pro/4349': (True, _S02),
    'simple-evals-ru/27_gigachat_max/1049': (True, _S12),
    'simple-evals-ru/27_gigachat_max/1064': (True, _S05),
    'simple-evals-ru/27_gigachat_max/1164': (True, _S01),
    'simple-evals-ru/27_gigachat_max/3653': (True, _S10),
    'simple-evals-ru/28_qwen_2_5_32b/1049': (True, _S12),
    'simple-evals-ru/28_qwen_2_5_32b/1064': (True, _S05),
    'simple-evals-ru/28_qwen_2_5_32b/1587': (True, _S04),
    'simple-evals-ru/28_qwen_2_5_32b/3653': (True, _S10),
    'simple-evals-ru/28_qwen_2_5_32b/4349': (True, _S02),
    'simple-evals-ru/29_ruadapt/1064': (True, _S05),
    'simple-evals-ru/29_ruadapt/22': (True, _S16),
    'simple-evals-ru/30_yandexgpt_5_lite/1049': (True, _S12),
    'simple-evals-ru/30_yandexgpt_5_lite/1064': (True, _S05),
    'simple-evals-ru/30_yandexgpt_5_lite/124': (True, _S06),
    'simple-evals-ru/30_yandexgpt_5_lite/679': (True, _S07),
})

# Third round: the thinking sources (benchmarks.accuracy_math_data: cs6493-r1, cs336-r1-zero). Every completion on which
# the source label and ``accuracy`` (with the finished-thinking rules of this round) disagreed was read with its
# question, by the criterion above; a completion whose thinking block is never closed has not answered (wrong).
_T01 = (
    "cut off inside its <think> block (2,048 new tokens): no answer; the source's matcher took a number of the thinking"
)

_T02 = (
    "the thinking block (opened by the R1-Zero prompt) is closed and the final answer after it is the gold's value: "
    "the r1_zero grader gave 0 for the format alone (it requires '</think> <answer>' and '</answer>' verbatim)"
)

_T03 = (
    "'</think> <answer>' format kept and the answer in the tag is the gold's value (prose around it, 13/18, "
    "\\dfrac, 30^{\\circ}, x = ...): the r1_zero grader's string normalisation missed it"
)

AUDITS.update({
    'cs336-r1-zero/qwen2.5-math-1.5b-inst/math500_hf/387': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/102': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/106': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/117': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/133': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/135': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/146': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/155': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/16': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/160': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/167': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/17': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/177': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/178': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/190': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/191': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/193': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/2': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/218': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/23': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/253': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/255': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/268': (True, "1 after the closed thinking: the gold (a right final value after wrong reasoning); no '</think> <answer>' for the r1_zero grader"),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/275': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/278': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/283': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/31': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/314': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/325': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/350': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/363': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/367': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/377': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/397': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/405': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/441': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/449': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/452': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/455': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/474': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/48': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/49': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/496': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/55': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/56': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/57': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/58': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/67': (True, "10% after the closed thinking for 'by what percent': the gold 10; the r1_zero grader's format check failed (no '</think> <answer>')"),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/72': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/79': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/8': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/121': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/125': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/136': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/138': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/139': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/142': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/147': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/156': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/165': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/167': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/179': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/18': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/201': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/209': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/239': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/253': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/266': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/268': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/281': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/290': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/310': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/323': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/324': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/331': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/338': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/347': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/36': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/367': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/379': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/380': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/385': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/386': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/401': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/406': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/407': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/408': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/415': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/420': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/425': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/434': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/451': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/457': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/458': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/48': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/483': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/491': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/496': (True, _T03),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/498': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/54': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/57': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/79': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/86': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/90': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/92': (True, _T02),
    'cs336-r1-zero/qwen2.5-math-1.5b/math_local/98': (True, _T02),
    'cs6493/deepseek-r1/cot/math500_0': (True, "(3, \\frac{\\pi}{2}) after the thinking: the gold; the source's matcher compared the strings"),
    'cs6493/deepseek-r1/cot/math500_12': (False, _T01),
    # a disagreement the Unicode-root and attached-factor rule of this round brought up in the first source
    'rl-sft/1.5B-eval-promptnobox/math500/313': (True, "'12π inches per second': the gold 12\\pi (the harness read "
                                                       "the last number, 12)"),
    # seen while reading the thinking sources, though both graders agreed: right answers that both miss
    'cs6493/deepseek-r1/cot/math500_4': (True, "'Evelyn has the greatest average speed' after the thinking: the gold \\text{Evelyn}"),
    'cs6493/deepseek-r1/cot/math500_8': (True, "'3√13 units' after the thinking: the gold 3\\sqrt{13} (a Unicode root)"),
    'cs6493/deepseek-r1/cot/math500_13': (True, "'The height of the cylinder is 5 centimeters' after the thinking: the gold 5 (the source extracted the sentence)"),
    'cs6493/deepseek-r1/cot/math500_15': (True, 'w = 6 - 5i after the thinking: the gold 6 - 5i'),
    'cs6493/deepseek-r1/cot/math500_2': (True, '\\dfrac{14}{3} after the thinking: the gold \\frac{14}{3}'),
    'cs6493/deepseek-r1/cot/math500_7': (True, "'90 degrees' after the thinking: the gold 90^\\circ (the question asks for degrees)"),
    'cs6493/qwen2.5-math/cot/math500_0': (True, "(3, \\frac{\\pi}{2}): the gold; the source's matcher compared the strings"),
    'cs6493/qwen2.5-math/cot/math500_7': (True, '\\boxed{90} degrees: the gold 90^\\circ (the question asks for degrees)'),
    'cs6493/qwen2.5-math/pvp/math500_0': (True, "(3, \\frac{\\pi}{2}): the gold; the source's matcher compared the strings"),
    'cs6493/qwen2.5-math/pvp/math500_17': (True, '\\boxed{\\pi}: the gold'),
    'cs6493/qwen2.5-math/self_refine/math500_0': (True, "(3, \\frac{\\pi}{2}): the gold; the source's matcher compared the strings"),
})
