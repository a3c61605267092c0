"""``accuracy``: math answer correctness with math-verify, under a hard time limit that holds in any thread.

Grading one completion against its gold answer (``solution`` column by default):

0. **Unfinished thinking** (``require_finished_thinking=True``, default): a completion that opens ``<think>`` and
   never closes it (cut off at the length limit) scores 0.0 whatever numbers its thinking holds: a reasoning model
   that has not finished has not answered (PrimeIntellect-ai/verifiers#213). The same holds when the prompt opened
   the block (a text prompt, or an assistant prefill, ending with ``<think>``: R1-Zero's ``Assistant: <think>``),
   or the chat template does (``thinking_opened_by_template=True``: DeepSeek-R1's template appends ``<think>``),
   and the completion never writes ``</think>``. Templates without think tags are unaffected; ``False`` grades such
   text like any other. After a finished block (a ``</think>`` in the completion, opened by it or by the template)
   the answer is searched in the text after the last ``</think>`` only: numbers and boxes of the thinking are not
   the answer, and a completion with nothing after its thinking has not answered.
1. **Answer extraction** (in the trainer process, plain string scanning). One final answer is picked and graded;
   the others never count, so listing candidates cannot raise the reward. With ``answer_format="auto"`` (default),
   the first rule that applies wins:

   a. the last ``<answer>…</answer>`` block (tag name configurable) is the region searched by the rules below;
      without one, the whole completion is;
   b. the ``\\boxed{…}`` / ``\\fbox{…}`` of the final answer: the last box, together with the boxes written right
      before it with only separators in between (``\\boxed{1}, \\boxed{2}``, ``\\boxed{1} and \\boxed{2}``,
      ``\\boxed{…} \\quad \\text{and} \\quad \\boxed{…}``), which give one answer, a set or tuple (as math-verify's
      ``boxed="all"``); earlier boxes separated by prose are intermediate results and are ignored. The values of a
      list lose their variable (``\\boxed{a = -2, b = -2}`` is ``-2, -2``);
   c. inside an answer tag, a short content that is not prose is the answer as written (``<answer>12</answer>``);
   d. the last anchored final-answer phrase: ``final answer is``, ``the answer is`` (a parenthesis such as
      ``the answer (arabic numerals) is`` allowed), ``Answer:``, ``**Answer:**``, ``A:`` at a line start, GSM8K's
      ``#### x``, ``答案是``, ``答：``, and a markdown answer heading on its own line (``# Answer``, ``## Final
      Answer``, ``**Final Answer**``: PRM800K's format); what follows it on its line (on the next line when that is
      blank) is the answer: a ``$…$`` / ``\\(…\\)`` / ``\\[…\\]`` it starts with, else the phrase itself when it is
      short math, bare LaTeX included (``x = 4``, ``\\frac{243}{625}``, ``16\\sqrt{3}``, ``(C)``, ``7 + 6 = 13``),
      else its first number or math span after the sentence's last ``is`` / ``are`` / ``equals`` (``The smallest
      value of \\(n\\) is \\(n = 10\\)`` gives ``n = 10``); a phrase that only restates the answer in words (``The
      answer (words) is twenty-seven.``) gives way to the phrase before it, and so does a last phrase cut off
      mid-expression by the length limit (``Answer: $\\dfrac{``). The phrase may sit in ``\\text{Answer: }`` or
      ``\\[Answer: 5\\]`` (closing delimiter dropped), after ``\\quad``, or before an echoed ``(without quotes)``;
      a sentence's period inside the math is dropped; trailing words of two letters or more are units (``12
      dollars``), a one-letter one is a variable (``p - q``, ``\\cot x``);
   e. a last line that is a bare LaTeX expression without delimiters (``\\frac{243}{625}``, ``16\\sqrt{3}``: a LaTeX
      command, power or subscript, a digit or constant, no prose) is the answer as written; a longer one (over 80
      characters) that is a chain of equalities answers with its last side;
   f. otherwise the last mathematical expression of the region: a number (thousands separators, currency, percent
      and units allowed: ``$1,300``, ``25%``, ``18 dollars``) or a ``$…$`` / ``\\(…\\)`` / ``\\[…\\]`` span. Outside an
      answer tag this rule is skipped for a completion that stops mid-sentence (no final punctuation after its last
      expression), since a truncated completion's last number is an intermediate one.

   **Unicode and bare factors** (rules d to f): ``√`` and ``π`` are read as LaTeX (``3√13`` is ``3\\sqrt{13}``,
   ``2π`` is ``2\\pi``; math-verify reads neither symbol), and a root or ``\\pi`` written right after a number in
   prose belongs to it (``The distance is 3\\sqrt{13} units.`` gives ``3\\sqrt{13}``, not ``3``).

   **Several values** (rules d and f): expressions joined only by list separators (``,``, ``;``, ``and``, ``or``,
   ``\\quad``, ``\\text{and}``; not a bare space) are one answer listing several values: ``$x = 5$ and $x = -2$``
   gives ``5, -2``, ``the real roots are $1 + \\sqrt{19}$ and $1 - \\sqrt{19}$`` gives both. Ordinal suffixes are
   dropped (``12^{\\text{th}}`` is ``12``), and spacing macros removed as from golds (``5 \\, \\text{cm}``: the comma
   of ``\\,`` is no list separator).

   ``answer_format="boxed"`` keeps the strict behaviour for prompts that demand a box: tag and boxes only (b, c); a
   tag's prose is searched by math-verify with its default targets, and a completion with neither tag nor box goes
   to math-verify whole, configured as TRL's ``accuracy_reward`` (LaTeX answers only, boxed first).
2. **Gold parsing**: a GSM8K gold ``"... #### 72"`` is reduced to ``72``; an escaped currency sign and spacing macros
   are removed (``\\$76.80`` is ``76.80``, ``\\$32,\\!348`` and ``10\\,000`` are ``32348`` and ``10000``: thousands
   separators go from a plain number, which math-verify would read as a pair); ``\\text{}`` units, ``\\pm``
   (``1 \\pm \\sqrt{19}``, two values) and lists (``5,-2``: a set) are left to math-verify, which parses them. A
   choice letter (``\\text{(C)}``, ``(C)``, ``C``; A-E) and a text answer (``\\text{odd}``, ``odd``: a word or
   ``\\text{…}`` of words) are compared as strings in the trainer process: the answer's letter or words, case and
   LaTeX text markup ignored, must be the same (math-verify reads ``odd`` as the product ``o·d·d`` and would accept
   ``dod``). Any other gold with LaTeX delimiters
   (``$``, ``\\(``, ``\\[``, ``\\boxed``) is parsed as written; a bare gold (``\\frac{1}{3}``, ``[1, 2)``,
   ``2\\sqrt{2}``, ``x = 4``) is parsed as one LaTeX expression (math-verify alone would read ``2\\sqrt{2}`` as ``2``
   and ``(-\\infty, 3]`` as ``3``), falling back to math-verify's default extraction. A gold from which math-verify
   extracts no mathematical object (only a raw-string fallback, or nothing) gives ``None`` for its samples (the
   trainer skips them), never 0, and is logged once per gold (not per sample).
3. **One value for a single-valued gold**: an answer listing two distinct values or more (``12 or 13``, ``\\boxed{12},
   \\boxed{13}``, ``$12$ and $13$``) against a gold that is one value (no list separator, ``\\pm``, set or union in
   it) scores 0.0: hedging is not rewarded. A multi-value gold is compared with the answer's list by math-verify, as
   a set (order-free) or a tuple. A percentage gold (``17.5\\%``) accepts its number without the sign (``17.5``), and
   an answer whose values are all decimals of three places or more against an exact irrational gold (a root,
   ``\\pi``, a logarithm, ``\\pm``) is an approximation and scores 0.0 (math-verify accepts it by rounding).
4. **Copy-the-question guard**: when the gold is a plain number (integer or decimal, GSM8K's ``#### 72`` and
   ``1,300`` included), an answer that is an unevaluated arithmetic expression (``7+6``, ``6 \\times 2``,
   ``\\frac{26}{2}``, ``2^3``, ``\\sqrt{169}``, and numbers side by side such as ``4 6``, which math-verify adds
   up to 10) scores 0.0: math-verify would accept it as equal to its value, which rewards a policy for copying the
   arithmetic of the question. Numbers written with separators, units, a currency sign, a percent sign or a
   trailing ``.0``, negative numbers, and fractions in lowest terms (``3/4`` for ``0.75``) are numbers, not
   expressions; in an equation (``x = 13``, ``7 + 6 = 13``) the last side is the answer.
   ``allow_expressions=True`` turns the guard off. A percentage against a plain-number gold is compared as written:
   ``25%`` is right for ``25`` (GSM8K's "what percent"), ``70%`` is not ``0.7`` (math-verify accepts both).
   Against any gold without such a command, an answer that applies a trigonometric, logarithm or binomial command
   to numbers only (``\\arcsin \\left( -\\frac{1}{2} \\right)`` copied from "Compute ..." for ``-\\frac{\\pi}{6}``)
   scores 0.0 too (the last side of an equation counts: ``\\sin 30^\\circ = \\frac{1}{2}`` is ``\\frac{1}{2}``).
5. **Comparison**: ``math_verify.verify(gold, answer)``, gold first (the function is not symmetric); equation golds
   and answers on either side (``x = 4`` against ``4``), intervals, inequalities and sets as math-verify compares
   them; a gold written ``P = 0`` (``5x - 7y + 11z + 4 = 0``, "in the form Ax + By + Cz + D = 0 with A > 0") and an
   answer written so are compared side against side (``-P = 0`` or ``2P = 0``, which math-verify equates, score 0.0).
   Answers are normalised as golds are, with math-verify's default LaTeX normalisation (units removed,
   ``\\frac14`` and ``\\sqrt2`` read as ``\\frac{1}{4}`` and ``\\sqrt{2}``); TRL's ``accuracy_reward`` turns the
   last two fixes off.

Time limit: every (gold, answer) pair that needs math-verify is graded in a worker process (:mod:`rewards._pool`);
a pair that runs longer than ``timeout`` seconds has its worker killed (a replacement is forked from a warm zygote
in milliseconds), is scored 0.0 and is logged once per call (a worker that dies on a pair is treated the same way).
math-verify's own ``signal.alarm`` timeouts are disabled: they only work in the main thread and cannot interrupt a
C-level big-integer computation such as ``\\boxed{9^{9^{9^{9^{9}}}}}``, which holds the GIL.

Speed: a plain-number answer (``-12``, ``0.5``, ``\\frac{3}{4}``) against a plain-number gold is decided in the
trainer process without math-verify when the answer is certain (exactly equal values: 1.0; two different integers:
0.0; anything else, e.g. ``0.333333`` against ``\\frac{1}{3}``, goes to math-verify), and so are choice letters,
text answers, guarded expressions and completions without an answer; the rest is graded by workers in parallel
(one per CPU core by default, shared between all ``accuracy`` instances and started once); identical (gold,
extracted answer) pairs within a call are graded once; the answers of one gold go preferably to the same worker,
which parses that gold once and caches it (the G completions of a prompt share one gold).
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Sequence
from fractions import Fraction
from math import gcd
from typing import Any

from ._pool import CRASH, OK, TIMEOUT, get_pool
from ._utils import RewardError, check_choice, column, completion_texts
from .registry import register_reward

logger = logging.getLogger(__name__)

BOXED, ANSWER_TEXT, TEXT, NO_ANSWER, UNFINISHED = "boxed", "answer_text", "text", "none", "unfinished"
ANSWER_FORMATS = ("auto", "boxed")
_PRELOAD = ("rewards.accuracy:warm_up",)
_GOLD_CACHE: dict[str, list] = {}
_GOLD_CACHE_SIZE = 4096
_LOGGED_GOLDS: set[str] = set()
_DELIMITED = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")
_PROSE = re.compile(r"(?<![\\a-zA-Z])(?:[a-zA-Z]{3,}|[a-zA-Z]{2}\s+[a-zA-Z]{2,})")
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\s*\{[^{}]*\}|\\[a-zA-Z]+")

# ------------------------------------------------------------------------------------------------ boxes


_BOX_TOKEN = re.compile(r"[^\s$]+")


def _brace_partners(text: str) -> dict[int, int]:
    """Index of the matching ``}`` for every ``{`` of ``text`` that is closed (``\\{`` and ``\\}`` skipped), in one
    pass: a completion of many unclosed boxes costs linear time, not quadratic."""
    partners: dict[int, int] = {}
    stack: list[int] = []
    for match in re.finditer(r"\\.|[{}]", text, re.DOTALL):
        ch = match.group(0)
        if ch == "{":
            stack.append(match.start())
        elif ch == "}" and stack:
            partners[stack.pop()] = match.start()
    return partners


def _box_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of every ``\\boxed{...}`` / ``\\fbox{...}`` (braces balanced, ``\\{`` skipped) and
    ``\\boxed 5`` (a box without braces: the next token), in order."""
    spans = []
    partners: dict[int, int] | None = None
    for match in re.finditer(r"\\boxed|\\fbox", text):
        start = match.start()
        i = match.end()
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            if partners is None:
                partners = _brace_partners(text)
            close = partners.get(i)
            if close is not None:
                spans.append((start, close + 1, text[i + 1 : close]))
        elif match.end() < i < len(text):
            token = _BOX_TOKEN.match(text, i)
            if token:
                spans.append((start, token.end(), token.group(0)))
    return [s for k, s in enumerate(spans) if k == 0 or s[0] >= spans[k - 1][1]]


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}`` in ``text`` (braces balanced, ``\\{`` skipped)."""
    spans = _box_spans(text)
    return spans[-1][2] if spans else None


_BOX_SEPARATOR = re.compile(
    r"[\s,;$]*(?:(?:and|or|&|\\quad|\\qquad|\\text\s*\{\s*(?:and|or|,)?\s*\}|\\\\|\\,)[\s,;$]*)*", re.IGNORECASE
)


def final_boxes(text: str) -> list[str]:
    """The box contents of the final answer: the last box and those right before it with only separators between
    (commas, ``and``, ``or``, ``$``, spacing); empty when ``text`` has no box."""
    spans = _box_spans(text)
    if not spans:
        return []
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        gap = text[span[1] : group[0][0]]
        if not _BOX_SEPARATOR.fullmatch(gap):
            break
        group.insert(0, span)
    return [content.strip() for _, _, content in group]


def _strip_delimiters(text: str) -> str:
    text = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left) : -len(right)].strip()
    return text


# ------------------------------------------------------------------------------ plain-text final answers

_ANCHOR = re.compile(
    r"(?m:^[ \t>]*(?:#{1,6}[ \t]*|\*\*)(?:final[ \t]+)?answer[ \t]*:?[ \t]*(?:\*\*)?[ \t]*:?[ \t]*$)"
    r"|answer\s*(?:\([^()\n]{0,40}\)\s*)?(?:is\b|:)\s*:?"
    r"|(?m:^[ \t>*]*A\s*:)"
    r"|####"
    r"|答案(?:是|为|：|:)|(?<![\u4e00-\u9fff])答\s*(?:：|:)",
    re.IGNORECASE,
)
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_NUMBER_TOKEN = re.compile(
    r"(?<![\w.\\])(?P<sign>[-−–](?=\s*(?:\\?\$|€|£)?\s*\d))?\s*(?P<currency>\\?\$|€|£|¥)?\s*(?P<sign2>[-−])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:\s*/\s*\d+(?![\d.]))?)(?![\w.]*\d)"
    r"(?P<percent>\s*(?:\\?%|percent\b))?"
)
_TERMINAL = re.compile(r"[.!?。)\]}$*\"'»”]\s*$|\\\]\s*$|\\\)\s*$")
_MAX_PHRASE = 300
_MAX_ANCHORS = 16


def _number_source(match: re.Match) -> str:
    """A number token as one LaTeX expression: separators and currency dropped, percent kept as ``\\%``."""
    num = re.sub(r"\s+", "", match.group("num"))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
        num = num.replace(",", "")
    sign = "-" if (match.group("sign") or match.group("sign2")) else ""
    return sign + num + ("\\%" if match.group("percent") else "")


def _math_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of the ``$$…$$`` / ``$…$`` / ``\\(…\\)`` / ``\\[…\\]`` spans of ``text``; a ``$…$``
    whose content starts with a digit and goes on in prose is two currency signs (``$125 from the sale and $96``),
    not math."""
    spans = []
    for match in _MATH_SPAN.finditer(text):
        content = next(g for g in match.groups() if g is not None).strip()
        if match.group(2) is not None and re.match(r"\d", content) and _is_prose(content):
            continue
        spans.append((match.start(), match.end(), content))
    return spans


# a root or pi written right after a number in prose, without math delimiters: ``3\\sqrt{13}``, ``2\\pi``
_ATTACHED_FACTOR = re.compile(r"(?:\\sqrt(?:\[\d+\])?\{[^{}]{1,40}\}|\\sqrt\s?\d+|\\pi(?![a-zA-Z]))+")


def _number_with_factor(text: str, match: re.Match) -> tuple[int, int, str]:
    """``(start, end, source)`` of a number token of ``text``, with a root or ``\\pi`` written right after it."""
    factor = None if match.group("percent") else _ATTACHED_FACTOR.match(text, match.end())
    end = factor.end() if factor else match.end()
    return match.start(), end, _number_source(match) + (factor.group(0) if factor else "")


def _math_tokens(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, source)`` of the mathematical expressions of ``text`` in order: math spans, and numbers
    outside them (GSM8K's ``<<48/2=24>>`` calculator notes skipped)."""
    spans = _math_spans(text)
    tokens = [span for span in spans if span[2]]
    starts = [span[0] for span in spans]
    plain = re.sub(r"<<[^<>]*>>", lambda m: " " * len(m.group(0)), text)
    for match in _NUMBER_TOKEN.finditer(plain):
        k = bisect.bisect_right(starts, match.start()) - 1
        if k >= 0 and match.start() < spans[k][1]:
            continue
        tokens.append(_number_with_factor(plain, match))
    return sorted(tokens)


def _is_prose(text: str) -> bool:
    return bool(_PROSE.search(_LATEX_TEXT.sub(" ", text)))


_LIST_GAP = re.compile(
    r"[\s,;]*(?:(?:and|or|\\quad|\\qquad|\\text\s*\{\s*(?:and|or|,)?\s*\})[\s,;]*)*", re.IGNORECASE
)
_EQUATION_LEFT = re.compile(r"^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(?=\S)")
_COPULA = re.compile(r"\b(?:is|are|equals?|was|were|be)\b", re.IGNORECASE)


def _list_gap(gap: str) -> bool:
    """True when ``gap`` (the text between two expressions) only separates items of a list: commas, semicolons,
    ``and`` / ``or``, ``\\quad``, ``\\text{and}``; a bare space does not (``4 6`` is numbers side by side)."""
    return bool(_LIST_GAP.fullmatch(gap)) and bool(re.search(r"[,;]|[a-zA-Z]", gap))


def _list_around(text: str, tokens: list[tuple[int, int, str]], k: int, forward: bool) -> list[str]:
    """Sources of ``tokens[k]`` and of its neighbours (after it when ``forward``, else before it) joined to it by
    list separators only: the values of one answer written as a list (``$x = 5$ and $x = -2$``)."""
    picked = [k]
    step = 1 if forward else -1
    j = k + step
    while 0 <= j < len(tokens):
        a, b = (tokens[picked[-1]], tokens[j]) if forward else (tokens[j], tokens[picked[-1]])
        if not _list_gap(text[a[1] : b[0]]):
            break
        picked.append(j)
        j += step
    return [tokens[i][2] for i in sorted(picked)]


def join_values(sources: Sequence[str]) -> str:
    """One answer from the values of a list: ``"a, b"``, each ``x = a`` reduced to ``a`` when there are several
    (``x = 5`` and ``x = -2`` give ``5, -2``, which math-verify compares with a gold ``5,-2`` as a set)."""
    if len(sources) == 1:
        return sources[0]
    return ", ".join(_EQUATION_LEFT.sub("", source).strip() for source in sources)


def _inside(position: int, spans: Sequence[tuple[int, int, str]]) -> bool:
    return any(a <= position < b for a, b, _ in spans)


def _plain_numbers(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``(start, end, source)`` of the numbers of ``text`` outside the math ``spans``; a root or ``\\pi`` written
    right after the number belongs to it (``3\\sqrt{13} units`` is ``3\\sqrt{13}``, not ``3``)."""
    return [_number_with_factor(text, m) for m in _NUMBER_TOKEN.finditer(text) if not _inside(m.start(), spans)]


_UNICODE_ROOT = re.compile(r"√\s?(\d+(?:\.\d+)?|[a-zA-Z]|\([^()]{1,40}\)|\{[^{}]{1,40}\})")


def unicode_math(text: str) -> str:
    """Unicode roots and pi as LaTeX (``3√13`` is ``3\\sqrt{13}``, ``√(x+1)`` is ``\\sqrt{x+1}``, ``2π`` is
    ``2\\pi``): math-verify reads neither symbol, and reasoning models write both in prose answers."""
    if "√" not in text and "π" not in text:
        return text
    text = _UNICODE_ROOT.sub(lambda m: "\\sqrt{" + m.group(1).strip("(){}") + "}", text)
    return re.sub(r"π(?=[a-zA-Z])", r"\\pi ", text).replace("π", "\\pi")


def _phrase_answer(content: str) -> str | None:
    """The answer written after an anchored final-answer phrase (``content``: the rest of its line, or the next
    lines when that is blank)."""
    content = content.replace("。", ". ").strip().strip("*_").strip()
    # the phrase inside ``\\text{Answer: }``, and the prompt's "(without quotes)" echoed after the answer
    content = re.sub(r"^\}\s*", "", content).replace("(without quotes)", "").strip()
    content = re.sub(r"^(?:\\q?quad\b|\\[,;:! ])\s*", "", content)  # "\\text{Answer:} \\quad 137"
    if not re.match(r"\\[\[(]|\$", content):
        # "\\[Answer: 5\\]": the display's closing delimiter is no part of the answer
        content = re.sub(r"\s*(?:\\\]|\\\)|\$\$)[ \t]*(?=\n|$)", "", content, count=1)
    content = re.sub(r"^(\S+?)_{2,}(?=[\s.]|$)", r"\1", content)
    if not content:
        return None
    spans = _math_spans(content)
    line = content.split("\n", 1)[0]
    if spans and spans[0][0] == 0:
        if not spans[0][2]:
            return None
        tokens = [span for span in spans if span[2]] + _plain_numbers(line, spans)
        tokens.sort()
        return join_values(_list_around(content, tokens, 0, forward=True))
    sentence = re.split(r"(?<=[^\d\s])\.(?:\s|$)|\.\s|;\s|\s—\s", line, maxsplit=1)[0].strip().rstrip(".").strip("*_ ")
    bare = re.sub(r"(?:\s+[a-zA-Z]{2,}\.?)+$", "", sentence).strip()
    if bare and "$" not in bare and not _is_prose(bare) and re.search(r"[\w\\]", bare):
        number = _NUMBER_TOKEN.fullmatch(bare)
        return _number_source(number) if number else bare
    candidates = [span for span in spans if span[0] < len(sentence) and span[2]] + _plain_numbers(sentence, spans)
    candidates.sort()
    if candidates:
        for copula in reversed([m for m in _COPULA.finditer(sentence) if not _inside(m.start(), spans)]):
            after = [c for c in candidates if c[0] >= copula.end()]
            if after:
                candidates = after
                break
        return join_values(_list_around(content, candidates, 0, forward=True))
    if sentence and len(sentence) <= 60:
        return sentence
    return None


def _mathematical(answer: str) -> bool:
    return bool(re.search(r"\d|\\[a-zA-Z]|^\(?[A-E]\)?$", answer))


def _cut_off(line: str) -> bool:
    """True when ``line`` stops inside an expression: an unclosed brace, or an unclosed ``$`` opening a LaTeX
    command (``$\\dfrac{``; ``$ANSWER`` and ``$23`` are words and numbers)."""
    line = line.replace("\\$", "").replace("\\{", "").replace("\\}", "")
    unclosed = line.count("$") % 2 == 1 and re.search(r"\$\s*\\[a-zA-Z][^$]*$", line) is not None
    return unclosed or line.count("{") > line.count("}")


def phrase_answer(text: str) -> str | None:
    """The answer after the last anchored final-answer phrase of ``text`` (rule d), or None. A phrase that only
    restates the answer in words (``The answer (words) is twenty-seven.``) gives way to the last phrase with a
    mathematical answer before it; with none, the words are the answer (a text gold such as ``odd``)."""
    fallback = None
    for anchor in list(_ANCHOR.finditer(text))[-_MAX_ANCHORS:][::-1]:
        rest = text[anchor.end() : anchor.end() + _MAX_PHRASE]
        line, _, following = rest.partition("\n")
        if not following and anchor.end() + len(rest) >= len(text.rstrip()) and _cut_off(line):
            continue  # the last answer was cut off by the length limit mid-expression: the one before it counts
        answer = _phrase_answer(rest if re.search(r"[A-Za-z0-9\\$]", line) else following)
        if answer is None:
            continue
        if _mathematical(answer):
            return answer
        if fallback is None:
            fallback = answer
    return fallback


def last_expression(text: str, closed: bool) -> str | None:
    """The last mathematical expression of ``text`` (rule e). ``closed``: ``text`` is a whole region (an answer
    tag's content); otherwise a completion that does not end with final punctuation after its last expression is
    taken as truncated and gives None."""
    tokens = _math_tokens(text)
    if not tokens:
        return None
    end = tokens[-1][1]
    if not closed:
        tail = text[end:].rstrip()
        if tail and not _TERMINAL.search(tail):
            return None
    return join_values(_list_around(text, tokens, len(tokens) - 1, forward=False))


_BARE_MATH = re.compile(r"\\[a-zA-Z]+|\^|_\{")


def bare_last_line(text: str) -> str | None:
    """The last line of ``text`` when it is a bare LaTeX expression without delimiters (``\\frac{243}{625}``,
    ``16\\sqrt{3}``, ``y = -2x^2``): no prose, no ``$``, a LaTeX command, power or subscript, and a digit or a
    constant; else None."""
    lines = text.rstrip().rsplit("\n", 1)
    whole = line = lines[-1].strip().rstrip(".").strip()
    if not line or "$" in line or "\\begin" in line or "\\end" in line or _is_prose(line):
        return None
    if len(line) > 80:
        # a long chain of equalities (``0.\\overline{7} - ... = \\frac{7-4+2}{9} = \\frac{5}{9}``): its last side
        line = line.rsplit("=", 1)[1].strip() if "=" in line and not re.search(r"\\[()\[\]]", line) else ""
        if not line or len(line) > 80:
            return None
    if not _BARE_MATH.search(whole) or not re.search(r"\d|\\(?:pi|infty|sqrt|frac)", line):
        return None
    return line


_ORDINAL = re.compile(
    r"(?<=\d)\s*(?:\^\s*\{?\s*\\(?:text|mathrm|rm)\s*\{?\s*(?:st|nd|rd|th)\s*\}?\s*\}?|(?:st|nd|rd|th)\b)"
)


def _drop_ordinals(source: str) -> str:
    """``12^{\\text{th}}`` and ``12th`` read as ``12`` (math-verify reads the suffix as a product of variables);
    spacing macros removed as in golds (``5 \\, \\text{cm}``, ``10\\,000``: the comma of ``\\,`` is no list)."""
    return _GOLD_SPACING.sub("", _ORDINAL.sub("", source)).strip().rstrip(".").rstrip()


_EXACT_GOLD = re.compile(r"\\sqrt|\\pi|\\log|\\ln|\\sin|\\cos|\\tan|\\pm|\be\^")
_LONG_DECIMAL = re.compile(r"[-−]?\d*\.\d{3,}")


def decimal_approximation(gold: str, source: str) -> bool:
    """True when every value of the answer is a decimal of three places or more (``-3.3588989``) and the gold is an
    exact irrational form (a root, ``\\pi``, a logarithm or trigonometric value, ``\\pm``): a numerical
    approximation, which math-verify would accept by rounding. Fractions and plain-number golds are not concerned
    (``0.333333`` for ``\\frac{1}{3}`` goes to math-verify as before)."""
    if not _EXACT_GOLD.search(_gold_text(gold)):
        return False
    values = [re.sub(r"^.*\\approx", "", _EQUATION_LEFT.sub("", value)).strip() for value in split_values(source)]
    return bool(values) and all(_LONG_DECIMAL.fullmatch(value) for value in values)


def unfinished_thinking(text: str, tag: str = "think", opened_by_prompt: bool = False) -> bool:
    """True when ``text`` opens a ``<think>`` block that it never closes (a reasoning model cut off at the length
    limit before it answered), or, when ``opened_by_prompt`` (the prompt ends with an open ``<think>``: R1-Zero's
    ``Assistant: <think>``, chat templates that prefill the tag), when ``text`` never closes the block at all."""
    if opened_by_prompt and f"</{tag}>" not in text:
        return True
    opened = text.rfind(f"<{tag}>")
    return opened >= 0 and text.find(f"</{tag}>", opened) < 0


def after_thinking(text: str, tag: str = "think") -> str:
    """The text after the last ``</think>`` (the answer part of a finished thinking block), else ``text`` whole."""
    closed = text.rfind(f"</{tag}>")
    return text if closed < 0 else text[closed + len(tag) + 3 :]


def thinking_opened_by_prompt(prompt: Any, tag: str = "think") -> bool:
    """True when the prompt ends with an open ``<think>`` tag, so that the completion starts inside the thinking
    block: a text prompt (``... Assistant: <think>``) or a conversation whose last message is an assistant prefill
    ending with the tag. A conversational prompt whose chat template adds the tag is not visible to a reward (the
    trainer passes the messages, not the rendered text) and gives False."""
    if isinstance(prompt, (list, tuple)):
        last = prompt[-1] if prompt else None
        if not isinstance(last, dict) or last.get("role") != "assistant":
            return False
        prompt = last.get("content")
    return isinstance(prompt, str) and prompt.rstrip().endswith(f"<{tag}>")


def extract_answer(text: str, answer_tag: str | None = "answer", answer_format: str = "boxed") -> tuple[str, str]:
    """``(source, mode)`` to grade for one completion text (see the module docstring for the rules).

    ``mode`` is ``"boxed"`` (``source`` is one LaTeX expression), ``"answer_text"`` (``answer_format="boxed"``
    only: ``source`` is the prose inside the answer tag, searched with math-verify's default targets), ``"text"``
    (``answer_format="boxed"`` only: ``source`` is the whole completion, searched as TRL's ``accuracy_reward``
    does) or ``"none"`` (no answer found: scored 0.0). This helper defaults to ``answer_format="boxed"``; the
    ``accuracy`` reward defaults to ``"auto"``.
    """
    region = None
    if answer_tag:
        close = text.rfind(f"</{answer_tag}>")
        if close >= 0:
            open_ = text.rfind(f"<{answer_tag}>", 0, close)
            if open_ >= 0:
                region = text[open_ + len(answer_tag) + 2 : close]
    scope = region if region is not None else text
    boxes = final_boxes(scope)
    if boxes:
        values = [value for box in boxes for value in split_values(box)]
        return _drop_ordinals(join_values(values) if len(values) > 1 else ", ".join(boxes)), BOXED
    if answer_format == "boxed":
        if region is None:
            return text, TEXT
        content = region.strip().rstrip(".").strip()
        if _DELIMITED.search(content) or _is_prose(content):
            return content, ANSWER_TEXT
        return _strip_delimiters(content), BOXED
    if region is not None:
        content = region.strip().rstrip(".").strip()
        if content and not _DELIMITED.search(content) and not _is_prose(content):
            return content, BOXED
    answer = phrase_answer(scope)
    if answer is None:
        answer = bare_last_line(scope)
    if answer is None:
        answer = last_expression(scope, closed=region is not None)
    if answer is None:
        return "", NO_ANSWER
    return _drop_ordinals(_strip_delimiters(answer)), BOXED


# ------------------------------------------------------------------------------------------- gold forms


def _math_verify():
    import math_verify

    return math_verify


_GOLD_SPACING = re.compile(r"\\[!,;:]|\\(?:thinspace|negthinspace)\b")
_THOUSANDS = re.compile(r"[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _gold_text(gold: str) -> str:
    """The gold as one LaTeX expression: GSM8K's ``... #### 72`` reduced to ``72``; an escaped currency sign
    (``\\$76.80``) and spacing macros (``\\!``, ``\\,``: ``32,\\!348``) removed; thousands separators removed from a
    plain number (``32,348``; math-verify would read it as the pair 32, 348)."""
    text = gold.strip()
    if "####" in text:
        text = text.rsplit("####", 1)[1].strip()
    text = _GOLD_SPACING.sub("", text.replace("\\$", "")).strip()
    compact = re.sub(r"\s+", "", _strip_delimiters(text))
    if _THOUSANDS.fullmatch(compact):
        text = compact.replace(",", "")
    return text


_NUMBER = re.compile(
    r"(-?)\s*(?:(\d{1,30})(?:\.(\d{1,30}))?|\\[dt]?frac\s*\{(\d{1,30})\}\s*\{(\d{1,30})\}|(\d{1,30})\s*/\s*(\d{1,30}))"
)


def simple_number(text: str) -> tuple[Fraction, bool] | None:
    """``(value, is_integer_literal)`` for a plain number (``-12``, ``0.5``, ``\\frac{3}{4}``, ``3/4``, optionally in
    ``$...$``), else None."""
    match = _NUMBER.fullmatch(_strip_delimiters(text).rstrip("."))
    if match is None:
        return None
    sign, integer, decimals, num, den, slash_num, slash_den = match.groups()
    if integer is not None:
        value = Fraction(f"{integer}.{decimals}" if decimals else integer)
        literal = decimals is None
    else:
        numerator, denominator = (num, den) if num is not None else (slash_num, slash_den)
        if int(denominator) == 0:
            return None
        value, literal = Fraction(int(numerator), int(denominator)), False
    return (-value if sign else value), literal


_MULTI_VALUED = re.compile(r"[,;]|\\pm|\\mp|\\\{|\\cup|\band\b|\bor\b")
_OPENERS, _CLOSERS = "([{", ")]}"


def single_valued_gold(gold: str) -> bool:
    """True for a gold that is one value: no list separator (``,`` ``;`` ``and`` ``or``), no ``\\pm``, set or union
    (a tuple ``(3, 4)`` or an interval counts as several here: math-verify decides those)."""
    return not _MULTI_VALUED.search(_gold_text(gold))


def answer_values(source: str) -> int:
    """How many distinct values an extracted answer lists: items separated at the top level (outside brackets and
    braces) by ``,`` ``;`` ``and`` ``or`` ``\\quad``; a number with thousands separators (``1,300``) is one value, and
    so is a value repeated (``2,2,2``)."""
    return len(set(split_values(source)))


_ITEM_SEPARATOR = re.compile(
    r"\\[{}]|[()\[\]{}]|,|;|\\q?quad|\\text\s*\{\s*(?:and|or)\s*\}|(?<![a-zA-Z\\])(?:and|or)(?![a-zA-Z])"
)


def split_values(source: str) -> list[str]:
    """The values an extracted answer lists (see :func:`answer_values`), stripped, in order."""
    text = _strip_delimiters(source)
    if _THOUSANDS.fullmatch(re.sub(r"[\s\"'“”]", "", text)):
        return [text]
    items, depth, start = [], 0, 0
    for match in _ITEM_SEPARATOR.finditer(text):
        token = match.group(0)
        if token.startswith("\\text"):
            token = ","
        if token[-1] in _OPENERS:
            depth += 1
        elif token[-1] in _CLOSERS:
            depth = max(depth - 1, 0)
        elif depth == 0:
            items.append(text[start : match.start()])
            start = match.end()
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


_PLAIN_GOLD = re.compile(r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_CHOICE = re.compile(r"\(?\s*([A-E])\s*\)?")
_TEXT_WRAP = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox)\s*\{([^{}]*)\}")
_WORDS = re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]")


def _plain_gold_value(gold: str) -> str:
    return _strip_delimiters(_gold_text(gold)).replace("\\$", "").replace("$", "").replace("−", "-").strip()


def plain_number_gold(gold: str) -> bool:
    """True for a gold that is a plain integer or decimal (``72``, ``-3``, ``0.5``, ``1,300``, ``#### 72``)."""
    return bool(_PLAIN_GOLD.fullmatch(_plain_gold_value(gold)))


def _unwrap_text(text: str) -> str:
    text = _strip_delimiters(text.strip())
    previous = None
    while previous != text:
        previous = text
        text = _TEXT_WRAP.sub(lambda m: m.group(1), text)
        text = _strip_delimiters(text.strip())
    return text.strip()


def choice_gold(gold: str) -> str | None:
    """The letter of a multiple-choice gold (``\\text{(C)}``, ``(C)``, ``C``; A-E), else None."""
    match = _CHOICE.fullmatch(_unwrap_text(_gold_text(gold)))
    return match.group(1) if match else None


def text_gold(gold: str) -> str | None:
    """The words of a text gold (``\\text{odd}``, ``\\text{no solution}``, or one bare word of 3+ letters such as
    ``odd``), lower-cased, else None."""
    raw = _gold_text(gold)
    inner = _strip_delimiters(raw)
    wrapped = _TEXT_WRAP.fullmatch(inner)
    words = _unwrap_text(raw)
    if not _WORDS.fullmatch(words):
        return None
    if wrapped is None and not re.fullmatch(r"[A-Za-z]{3,}", words):
        return None
    return re.sub(r"\s+", " ", words).lower()


def _answer_words(source: str) -> str:
    text = _unwrap_text(source)
    text = re.sub(r"^(?:the\s+answer\s+is|it\s+is|answer\s*:)\s*", "", text, flags=re.IGNORECASE)
    text = text.strip().strip(".,;:!\"'").strip()
    return re.sub(r"\s+", " ", text).lower()


def _answer_choice(source: str) -> str | None:
    text = _unwrap_text(source).strip()
    match = (
        re.fullmatch(r"\(?\s*([A-E])\s*\)?\.?", text)
        or re.match(r"\(\s*([A-E])\s*\)", text)
        or re.match(r"([A-E])[.):](?:\s|$)", text)
    )
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------- copy-the-question guard

_UNIT_GROUPS = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox|operatorname)\s*\{[^{}]*\}|\^\s*\{?\\circ\}?|°")
_SPACING = re.compile(r"\\[,!;:> ]|~|\\quad|\\qquad|\\left|\\right")
_OPERATOR = re.compile(r"(?<=\S)\s*(?:[+\-*/×·÷^!−]|\\times|\\cdot|\\div|\\pm|\\ast)|\\[dt]?frac|\\sqrt|\\binom|\\choose")
_SIDE_BY_SIDE = re.compile(r"[-−]?\d+(?:\.\d+)?(?:\s+\d+(?:\.\d+)?)+")
_SPACED_THOUSANDS = re.compile(r"[-−]?\d{1,3}(?:\s\d{3})+(?:\.\d+)?")


def _value_side(source: str) -> str:
    text = _UNIT_GROUPS.sub(" ", source)
    text = _SPACING.sub(" ", text)
    text = text.replace("\\$", "").replace("$", "").replace("\\%", "").replace("%", "")
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.split(r"=|\\approx|≈", text)[-1]
    text = re.sub(r"(?:\s+[a-zA-Z]+\.?)+\s*$", "", text).strip()
    return text.rstrip(".").strip()


def _lowest_terms_fraction(text: str) -> bool:
    match = re.fullmatch(
        r"[-−]?\s*(?:\\[dt]?frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))|(\d+)\s*/\s*(\d+))", text
    )
    if match is None:
        return False
    num, den = [int(g) for g in match.groups() if g is not None]
    return den > 1 and gcd(num, den) == 1


def is_unevaluated_expression(source: str) -> bool:
    """True when the answer is arithmetic left undone (``7+6``, ``6 \\times 2``, ``\\frac{26}{2}``, ``2^3``,
    ``\\sqrt{169}``): an operator or a function of numbers in what remains once units, currency, percent signs,
    thousands separators and all but the last side of an equation are removed, or numbers side by side (``4 6``,
    which math-verify reads as their sum; digit groups of three after a space, ``10\\,000``, are a thousands
    separator, not this). A number, a negative number and a fraction in lowest terms are not expressions."""
    text = _value_side(source)
    if not re.search(r"\d", text):
        return False
    if re.fullmatch(r"[-−]?\s*\d+(?:\.\d+)?", text) or _lowest_terms_fraction(text):
        return False
    if _SIDE_BY_SIDE.fullmatch(text) and not _SPACED_THOUSANDS.fullmatch(text):
        return True
    return bool(_OPERATOR.search(text))


def rule_grade(gold: str, source: str, mode: str, allow_expressions: bool = False) -> tuple[float, str] | None:
    """``(score, reason)`` decided in the trainer process without math-verify, else None: no answer (0.0), unfinished
    thinking (0.0), a list of several values against a single-valued gold (0.0), a decimal approximation of an exact
    irrational gold (0.0), a choice letter or text gold (string comparison), a percentage gold's number (1.0), an
    unevaluated expression against a plain-number gold (0.0 unless ``allow_expressions``)."""
    if mode == NO_ANSWER:
        return 0.0, "[no answer]"
    if mode == UNFINISHED:
        return 0.0, "[unfinished thinking]"
    if mode != BOXED:
        return None
    if answer_values(source) > 1 and single_valued_gold(gold):
        return 0.0, "[several values]"
    if decimal_approximation(gold, source):
        return 0.0, "[decimal approximation]"
    letter = choice_gold(gold)
    if letter is not None:
        return float(_answer_choice(source) == letter), "[choice]"
    words = text_gold(gold)
    if words is not None:
        return float(_answer_words(source) == words), "[text]"
    gold_percent = re.fullmatch(r"\s*([-−]?\d+(?:\.\d+)?)\s*\\?%\s*", _strip_delimiters(_gold_text(gold)))
    if gold_percent is not None:
        answer = simple_number(re.sub(r"\s*\\?%\s*$", "", source))
        if answer is not None and answer[0] == Fraction(gold_percent.group(1).replace("−", "-")):
            return 1.0, "[percent]"
    if plain_number_gold(gold):
        percent = re.fullmatch(r"\s*([-−]?\d+(?:\.\d+)?)\s*\\?%\s*", _strip_delimiters(source))
        if percent is not None:
            value = Fraction(percent.group(1).replace("−", "-"))
            return float(value == Fraction(_plain_gold_value(gold).replace(",", ""))), "[percent]"
        if not allow_expressions and is_unevaluated_expression(source):
            return 0.0, "[expression]"
    if not allow_expressions and unevaluated_function(gold, source):
        return 0.0, "[expression]"
    return None


_FUNCTION = re.compile(r"\\(?:arc)?(?:sin|cos|tan|cot|sec|csc|log|ln|[dt]?binom)(?![a-zA-Z])")


def unevaluated_function(gold: str, source: str) -> bool:
    """True when the answer applies a trigonometric, logarithm or binomial command to numbers only
    (``\\arcsin \\left( -\\frac{1}{2} \\right)``, ``\\sin 30^\\circ``: the question's expression copied, which
    math-verify evaluates) and the gold uses no such command."""
    source = source.rsplit("=", 1)[-1]  # in an equation the last side is the answer
    if not _FUNCTION.search(source) or _FUNCTION.search(_gold_text(gold)):
        return False
    return not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", " ", source))


def fast_grade(gold: str, source: str, mode: str) -> float | None:
    """The score of a pair of plain numbers without math-verify, when it is certain: 1.0 for exactly equal values,
    0.0 for two different integer literals; None (ask math-verify) otherwise, e.g. ``1/3`` vs ``0.333333``, which
    math-verify accepts by rounding."""
    if mode != BOXED:
        return None
    g, a = simple_number(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", _gold_text(gold))), simple_number(source)
    if g is None or a is None:
        return None
    if g[0] == a[0]:
        return 1.0
    if g[1] and a[1]:
        return 0.0
    return None


def _log_unparsable_gold(gold: str, index: int) -> None:
    """Warn once per gold (not per sample) that math-verify finds no mathematical object in it."""
    if gold in _LOGGED_GOLDS:
        return
    if len(_LOGGED_GOLDS) >= _GOLD_CACHE_SIZE:
        _LOGGED_GOLDS.clear()
    _LOGGED_GOLDS.add(gold)
    logger.warning(
        "accuracy: gold %r (sample %d) has no mathematical object math-verify can read; its samples score None "
        "(skipped by the trainer)", gold[:200], index,
    )


def _parse_gold(gold: str) -> list:
    cached = _GOLD_CACHE.get(gold)
    if cached is not None:
        return cached
    mv = _math_verify()
    text = _gold_text(gold)
    parsed: list = []
    if text and not _DELIMITED.search(text):
        parsed = mv.parse(
            f"${text}$", [mv.LatexExtractionConfig()], fallback_mode="no_fallback", parsing_timeout=None
        )
    if not parsed and text:
        parsed = mv.parse(text, fallback_mode="no_fallback", parsing_timeout=None)
    if len(_GOLD_CACHE) >= _GOLD_CACHE_SIZE:
        _GOLD_CACHE.clear()
    _GOLD_CACHE[gold] = parsed
    return parsed


_ZERO_SIDED = re.compile(r"^(?:(?P<left>[^=]+?)\s*(?<![<>!])=\s*0|0\s*=(?!=)\s*(?P<right>[^=]+?))$")


def zero_sides(text: str) -> str | None:
    """The other side of an equation written with a lone 0 on one side, when that side is a sum with a variable
    (``5x - 7y + 11z + 4 = 0`` gives ``5x - 7y + 11z + 4``; ``x = 0`` gives None), else None."""
    match = _ZERO_SIDED.match(_strip_delimiters(text).strip().rstrip("."))
    if match is None:
        return None
    side = (match.group("left") or match.group("right") or "").strip()
    return side if re.search(r"[a-zA-Z]", side) and re.search(r"[+-]", side[1:]) else None


def grade(gold: str, source: str, mode: str, allow_expressions: bool = True) -> tuple[float | None, str]:
    """Grade one extracted answer against one gold (runs in a worker process). Returns ``(score, parsed answer)``;
    the score is ``None`` when the gold does not parse. Without ``allow_expressions``, an answer math-verify found
    in prose (modes ``answer_text`` / ``text``) that is an unevaluated expression scores 0.0 against a plain-number
    gold."""
    mv = _math_verify()
    gold_parsed = _parse_gold(gold)
    if not gold_parsed:
        return None, "[unparsable gold]"
    latex = mv.LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=mode != TEXT)
    if mode == BOXED:
        answer = mv.parse(
            "\\boxed{" + source + "}", extraction_config=[latex], extraction_mode="first_match", parsing_timeout=None
        )
    elif mode == ANSWER_TEXT:
        answer = mv.parse(source, extraction_config=[latex, mv.ExprExtractionConfig()], parsing_timeout=None)
    else:
        answer = mv.parse(source, extraction_config=[latex], extraction_mode="first_match", parsing_timeout=None)
    if not answer:
        return 0.0, "[unparsable]"
    gold_zero_side = zero_sides(_gold_text(gold))
    answer_zero_side = zero_sides(source) if mode == BOXED else None
    if gold_zero_side is not None and answer_zero_side is not None:
        # both written "P = 0": compared side against side, so that -P = 0 (or 2P = 0) is not the normalised form
        side = mv.parse("\\boxed{" + answer_zero_side + "}", extraction_config=[latex], parsing_timeout=None)
        gold_side = _parse_gold(gold_zero_side)
        if side and gold_side:
            return float(mv.verify(gold_side, side, timeout_seconds=None)), str(answer[-1])
    if (
        mode != BOXED
        and not allow_expressions
        and plain_number_gold(gold)
        and is_unevaluated_expression(str(answer[-1]))
    ):
        return 0.0, "[expression]"
    correct = mv.verify(gold_parsed, answer, timeout_seconds=None)
    return float(correct), str(answer[-1])


_WARM_UP = [
    ("\\frac{1}{2}", "0.5"),
    ("x^2 + 2x + 1", "(x+1)^2"),
    ("2\\sqrt{2}", "\\sqrt{8}"),
    ("[1, 2)", "[1,2)"),
    ("\\{1, 2\\}", "\\{2, 1\\}"),
    ("50\\%", "0.5"),
    ("x = 2", "2"),
]


def warm_up() -> None:
    """Preload (runs once in the zygote, inherited by every worker): import math-verify, exercise the sympy paths
    that import lazily (simplification, sets, intervals, relations: about a second on first use), and silence
    math-verify's 'timeout disabled' warnings."""
    for name in ("math_verify.parser", "math_verify.grader"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for gold, answer in _WARM_UP:
        grade(gold, answer, BOXED)
    _GOLD_CACHE.clear()


@register_reward("accuracy", level="outcome")
class Accuracy:
    """Math answer correctness (math-verify): 1.0 / 0.0, None when the gold does not parse; hard per-sample timeout.

    Args:
        solution_column: dataset column holding the gold answers.
        timeout: seconds allowed per (gold, answer) pair; past it the worker is killed and the sample scored 0.0.
        num_workers: grading processes (default: CPU cores available, divided by ``LOCAL_WORLD_SIZE``).
        answer_tag: name of the answer tag whose content is preferred (``None``: ignore tags).
        memory_limit_mb: address-space limit per worker (0: none); a runaway computation then fails fast with
            MemoryError and is scored 0.0.
        answer_format: ``"auto"`` finds the final answer in tags, boxes, final-answer phrases (``The answer is
            18.``, ``#### 18``, ``A: 18``) or the last expression; ``"boxed"`` reads tags and boxes only (for
            prompts that demand a box).
        allow_expressions: accept an unevaluated arithmetic expression (``7+6``) against a plain-number gold
            (``13``); off by default, so that copying the question's arithmetic is not rewarded.
        require_finished_thinking: a completion that opens ``<think>`` and never closes it (cut off at the length
            limit) scores 0.0 whatever numbers its thinking holds: a reasoning model that has not finished has not
            answered (PrimeIntellect-ai/verifiers#213); so does one that never writes ``</think>`` after a prompt
            ending with ``<think>`` (the ``prompts`` the trainer passes: a text prompt, or an assistant prefill).
            ``False`` grades such text like any other (templates without think tags are unaffected either way).
        thinking_opened_by_template: the chat template itself opens the thinking block (DeepSeek-R1 and its
            distills append ``<think>`` to the generation prompt), which the reward cannot see in the messages it is
            passed; with True every completion must close the block (write ``</think>``) to have answered, as after
            a prompt ending with ``<think>``. Needs ``require_finished_thinking``.
    """

    def __init__(
        self,
        solution_column: str = "solution",
        timeout: float = 5.0,
        num_workers: int | None = None,
        answer_tag: str | None = "answer",
        memory_limit_mb: int = 4096,
        answer_format: str = "auto",
        allow_expressions: bool = False,
        require_finished_thinking: bool = True,
        thinking_opened_by_template: bool = False,
    ):
        if not timeout or timeout <= 0:
            raise ValueError(f"reward 'accuracy': timeout must be a positive number of seconds, got {timeout!r}")
        if num_workers is not None and int(num_workers) < 1:
            raise ValueError(f"reward 'accuracy': num_workers must be >= 1 or None, got {num_workers!r}")
        check_choice("accuracy", "answer_format", answer_format, ANSWER_FORMATS)
        if not isinstance(allow_expressions, bool):
            raise ValueError(f"reward 'accuracy': allow_expressions must be True or False, got {allow_expressions!r}")
        if not isinstance(require_finished_thinking, bool):
            raise ValueError(
                "reward 'accuracy': require_finished_thinking must be True or False, "
                f"got {require_finished_thinking!r}"
            )
        if not isinstance(thinking_opened_by_template, bool):
            raise ValueError(
                "reward 'accuracy': thinking_opened_by_template must be True or False, "
                f"got {thinking_opened_by_template!r}"
            )
        if thinking_opened_by_template and not require_finished_thinking:
            raise ValueError(
                "reward 'accuracy': thinking_opened_by_template=True needs require_finished_thinking=True (it says "
                "where the thinking block opens; require_finished_thinking=False grades unfinished thinking anyway)"
            )
        self.solution_column = solution_column
        self.timeout = float(timeout)
        self.num_workers = num_workers
        self.answer_tag = answer_tag
        self.memory_limit_mb = int(memory_limit_mb)
        self.answer_format = answer_format
        self.allow_expressions = allow_expressions
        self.require_finished_thinking = require_finished_thinking
        self.thinking_opened_by_template = thinking_opened_by_template
        self.__name__ = "accuracy"

    @property
    def pool(self):
        return get_pool(self.num_workers, _PRELOAD, self.memory_limit_mb)

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        name = self.__name__
        n = len(completions)
        if n == 0:
            return []
        golds = column(kwargs, self.solution_column, n, name)
        texts = completion_texts(completions, name)
        prompts = kwargs.get("prompts")
        if prompts is not None and len(prompts) != n:
            prompts = None  # not one prompt per completion: the prompt rule is not applied
        keys: list[tuple[str, str, str] | None] = []
        for i, (gold, text) in enumerate(zip(golds, texts)):
            if gold is None:
                keys.append(None)
                continue
            if not isinstance(gold, (str, int, float)):
                raise RewardError(name, f"gold answer must be a str or a number, got {type(gold).__name__}", i)
            opened = self.thinking_opened_by_template or (prompts is not None and thinking_opened_by_prompt(prompts[i]))
            if self.require_finished_thinking and unfinished_thinking(text, opened_by_prompt=opened):
                keys.append((str(gold), "", UNFINISHED))
                continue
            source, mode = extract_answer(unicode_math(after_thinking(text)), self.answer_tag, self.answer_format)
            keys.append((str(gold), source, mode))
        outcomes: dict[tuple[str, str, str], tuple[str, Any]] = {}
        for key in dict.fromkeys(k for k in keys if k is not None):
            decided = rule_grade(*key, allow_expressions=self.allow_expressions)
            if decided is None:
                score = fast_grade(*key)
                decided = None if score is None else (score, key[1])
            if decided is not None:
                outcomes[key] = (OK, decided)
        pending = [k for k in dict.fromkeys(k for k in keys if k is not None) if k not in outcomes]
        if pending:
            calls = [(grade, (*key, self.allow_expressions)) for key in pending]
            outcomes.update(zip(pending, self.pool.run(calls, timeout=self.timeout, keys=[k[0] for k in pending])))
        rewards: list[float | None] = []
        parsed: list[str] = []
        timed_out: list[int] = []
        for i, key in enumerate(keys):
            if key is None:
                rewards.append(None)
                parsed.append("[no gold]")
                continue
            status, value = outcomes[key]
            if status == OK:
                rewards.append(value[0])
                parsed.append(value[1])
                if value[0] is None:
                    _log_unparsable_gold(key[0], i)
            elif status in (TIMEOUT, CRASH):
                rewards.append(0.0)
                parsed.append(f"[{status}]")
                timed_out.append(i)
            else:
                raise RewardError(name, f"grading failed in the worker: {value}", i)
        if timed_out:
            first = texts[timed_out[0]]
            logger.warning(
                "%s: %d sample(s) exceeded the %.1f s grading timeout (or crashed their worker) and were scored 0.0: "
                "indices %s; first answer: %r",
                name,
                len(timed_out),
                self.timeout,
                timed_out,
                first[:200] + ("..." if len(first) > 200 else ""),
            )
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            log_extra("answer_parsed", parsed)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            log_metric(f"rewards/{name}/timeouts", float(len(timed_out)))
        return rewards
