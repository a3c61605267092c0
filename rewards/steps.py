"""Rule-based step (process) rewards.

``arithmetic_steps`` checks the arithmetic a step states. An equation is any ``lhs = rhs`` whose two sides are
plain arithmetic (numbers, ``+ - * / ^``, parentheses, ``%``), as in ``12 * 3 = 36``, ``$12 \\times 3 = 36$``,
``\\frac{48}{2} = 24`` or GSM8K's calculator annotations ``<<48/2=24>>``; chains ``a = b = c`` give one equation per
``=``. The step's score is the fraction of its equations that hold.

Expressions are evaluated by a small recursive-descent parser over exact fractions (never ``eval``): no names, no
calls, bounded length, bounded powers. Anything it cannot read is not counted, in either direction:

- a side touching a variable or a word (``2x + 3 = 7``, ``x - 3 = 5``, ``f(2) = 4``, ``5 = 5cm``) is not an equation;
- ``half of 48 = 24``, ``20% of 50 = 10``: a side preceded by a verbal operator (of, times, plus, minus, by, per,
  over, half, twice, double, triple) is skipped, and so is an equation whose two sides are bare numbers;
- decimals on a bare-number side are compared to that side's precision: ``10 / 3 = 3.33`` and ``= 3.3`` hold
  (within one unit of the last decimal, so rounding and truncation both pass); an integer side must be exact.

A step without any equation is not graded: it gets ``no_equation`` (default ``None``, which the trainer treats as
"no signal" — the step contributes no advantage of its own). Pass ``no_equation=0.5`` (or any float) to score such
steps with a constant instead.

``reference_steps`` checks the results a step states against a reference solution instead (a dataset column, default
``reference``): 1.0 when the step's result is one of the reference's intermediate results, 0.0 when it is not, None when
the step states no result. See :class:`ReferenceSteps` for what counts as a result and how numbers are compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from ._utils import RewardError, check_step_inputs, column, completion_texts
from .registry import register_reward

MAX_EXPRESSION_CHARS = 200
MAX_LITERAL_DIGITS = 30
MAX_RESULT_DIGITS = 2000

_ALLOWED = set("0123456789.+-*/^()% \t")
_VERBAL = {"of", "times", "plus", "minus", "by", "per", "over", "half", "twice", "double", "triple", "thrice"}
_TOKEN = re.compile(r"\s*(?:(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)|(\*\*|[-+*/^()%]))")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_SUBS = [
    (re.compile(r"\\times|\\cdot|\\ast|[×·∗⋅]"), "*"),
    (re.compile(r"\\div|÷"), "/"),
    (re.compile("\u2212"), "-"),
    (re.compile(r"\\left|\\right|\\!|\\,|\\;|\\:|\\ "), " "),
    (re.compile(r"\\%"), "%"),
    (re.compile(r"\\\$|\$"), " "),
    (re.compile(r"(?<=\d)\s*[xX]\s*(?=\d)"), "*"),
]


class UnsupportedExpression(ValueError):
    """An expression the safe evaluator does not accept (not arithmetic, too long, too large)."""


class Value(NamedTuple):
    """An evaluated side: its exact value, and the decimals of a bare literal (``3.33`` → 2, ``-36`` → 0; None when
    the side has an operator)."""

    value: Fraction
    decimals: int | None


class _Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/') unary | implicit '(')* ;
    unary := ('+'|'-') unary | power ; power := atom ['%'] ('^' unary)? ; atom := NUMBER | '(' expr ')'"""

    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise UnsupportedExpression(f"unexpected character {text[pos]!r}")
            number, op = match.groups()
            self.tokens.append(("num", number) if number else ("op", "^" if op == "**" else op))
            pos = match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) and self.tokens[self.i][0] == "op" else None

    def parse(self) -> Value:
        if not self.tokens:
            raise UnsupportedExpression("empty expression")
        if len(self.tokens) == 1 and self.tokens[0][0] == "num":
            literal = self.tokens[0][1]
            return Value(self.number(literal), len(literal.split(".", 1)[1]) if "." in literal else 0)
        if len(self.tokens) == 2 and self.tokens[0] == ("op", "-") and self.tokens[1][0] == "num":
            literal = self.tokens[1][1]
            return Value(-self.number(literal), len(literal.split(".", 1)[1]) if "." in literal else 0)
        value = self.expr()
        if self.i != len(self.tokens):
            raise UnsupportedExpression(f"unexpected {self.tokens[self.i][1]!r}")
        return Value(value, None)

    @staticmethod
    def number(literal: str) -> Fraction:
        digits = literal.replace(",", "")
        if sum(c.isdigit() for c in digits) > MAX_LITERAL_DIGITS:
            raise UnsupportedExpression("number too long")
        return Fraction(digits.rstrip(".") or "0")

    def expr(self) -> Fraction:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.tokens[self.i][1]
            self.i += 1
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while True:
            op = self.peek()
            if op in ("*", "/"):
                self.i += 1
                rhs = self.unary()
                if op == "/" and rhs == 0:
                    raise UnsupportedExpression("division by zero")
                value = value * rhs if op == "*" else value / rhs
            elif op == "(":
                value = value * self.unary()
            else:
                return value

    def unary(self) -> Fraction:
        op = self.peek()
        if op in ("+", "-"):
            self.i += 1
            value = self.unary()
            return -value if op == "-" else value
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        while self.peek() == "%":
            self.i += 1
            base = base / 100
        if self.peek() == "^":
            self.i += 1
            exponent = self.unary()
            if exponent.denominator != 1:
                raise UnsupportedExpression("non-integer exponent")
            size = max(len(str(abs(base.numerator))), len(str(base.denominator)))
            if abs(exponent) * size > MAX_RESULT_DIGITS:
                raise UnsupportedExpression("power too large")
            if base == 0 and exponent < 0:
                raise UnsupportedExpression("division by zero")
            return base ** int(exponent)
        return base

    def atom(self) -> Fraction:
        if self.i >= len(self.tokens):
            raise UnsupportedExpression("unexpected end")
        kind, text = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            return self.number(text)
        if text == "(":
            value = self.expr()
            if self.peek() != ")":
                raise UnsupportedExpression("unbalanced parenthesis")
            self.i += 1
            return value
        raise UnsupportedExpression(f"unexpected {text!r}")


def evaluate(expression: str) -> Value:
    """Evaluate a plain arithmetic expression exactly; raises ``ValueError`` on anything else."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise UnsupportedExpression("expression too long")
    return _Parser(expression).parse()


def normalize(text: str) -> str:
    """LaTeX and typographic arithmetic → plain ASCII (``\\times`` → ``*``, ``\\frac{a}{b}`` → ``((a)/(b))``)."""
    previous = None
    while previous != text:
        previous = text
        text = _FRAC.sub(r"((\1)/(\2))", text)
    for pattern, replacement in _LATEX_SUBS:
        text = pattern.sub(replacement, text)
    return text.replace("{", "(").replace("}", ")")


class Equation(NamedTuple):
    lhs: str
    rhs: str
    correct: bool


def _previous_word(text: str, end: int) -> str:
    match = re.search(r"([A-Za-z]+)\s*$", text[:end])
    return match.group(1).lower() if match else ""


def _allowed(text: str, k: int) -> bool:
    """Whether ``text[k]`` can belong to an arithmetic side; a comma only as a thousands separator (``1,000``)."""
    if text[k] in _ALLOWED:
        return True
    return (
        text[k] == ","
        and k > 0
        and text[k - 1].isdigit()
        and text[k + 1 : k + 4].isdigit()
        and len(text[k + 1 : k + 4]) == 3
        and not text[k + 4 : k + 5].isdigit()
    )


def _left_side(text: str, eq: int) -> str | None:
    start = eq
    while start > 0 and _allowed(text, start - 1):
        start -= 1
    raw = text[start:eq]
    side = raw.lstrip(" \t,;")
    if side.startswith(".") and not side[1:2].isdigit():
        side = side[1:].lstrip(" \t,")
    side = side.rstrip()
    if not side:
        return None
    first = start + len(raw) - len(raw.lstrip(" \t,;."))
    if first == start and start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_"):
        return None
    if side[0] in "+*/^)%" or (side[0] == "-" and not side[1:2].isdigit() and not side[1:2] == "("):
        return None
    if _previous_word(text, first) in _VERBAL:
        return None
    return side


def _right_side(text: str, eq: int) -> str | None:
    end = eq + 1
    while end < len(text) and _allowed(text, end):
        end += 1
    raw = text[eq + 1 : end]
    side = raw.strip()
    while side and side[-1] in ".,;":
        side = side[:-1].rstrip()
    if not side:
        return None
    if end < len(text) and raw.rstrip() == raw and (text[end].isalpha() or text[end] == "_"):
        return None
    if side[-1] in "+-*/^(" or side[0] in "*/^)%":
        return None
    return side


def find_equations(text: str) -> list[Equation]:
    """Every checkable ``lhs = rhs`` in ``text``, in order, with whether it holds."""
    text = normalize(text)
    found: list[Equation] = []
    for match in re.finditer(r"(?<![<>=!])=(?![=>])", text):
        eq = match.start()
        lhs, rhs = _left_side(text, eq), _right_side(text, eq)
        if lhs is None or rhs is None:
            continue
        try:
            left, right = evaluate(lhs), evaluate(rhs)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if left.decimals is not None and right.decimals is not None:
            continue
        literal = right if right.decimals is not None else left
        if literal.decimals:
            correct = abs(left.value - right.value) < Fraction(1, 10**literal.decimals)
        else:
            correct = left.value == right.value
        found.append(Equation(lhs, rhs, bool(correct)))
    return found


@register_reward("arithmetic_steps", level="step")
class ArithmeticSteps:
    """Per step: the fraction of the arithmetic equations it states that are correct (no equation: not graded).

    Args:
        no_equation: score of a step that states no checkable equation; ``None`` (default) leaves it ungraded.
    """

    def __init__(self, no_equation: float | None = None):
        if no_equation is not None and not isinstance(no_equation, (int, float)):
            raise ValueError(f"reward 'arithmetic_steps': no_equation must be a float or None, got {no_equation!r}")
        self.no_equation = None if no_equation is None else float(no_equation)
        self.__name__ = "arithmetic_steps"

    def score_step(self, step: str) -> float | None:
        equations = find_equations(step)
        if not equations:
            return self.no_equation
        return sum(e.correct for e in equations) / len(equations)

    def __call__(self, steps: Sequence[Sequence[str]] | None = None, completions: Any = None, **kwargs: Any):
        name = self.__name__
        check_step_inputs(name, steps, completions)
        out = []
        for i, completion_steps in enumerate(steps):
            if isinstance(completion_steps, str) or not all(isinstance(s, str) for s in completion_steps):
                raise RewardError(name, "steps[i] must be a list of strings", i)
            out.append([self.score_step(s) for s in completion_steps])
        return out


# ------------------------------------------------------------------------------------------------- reference_steps
_EQUALS = re.compile(r"(?<![<>=!])=(?![=>])")
_RESULT = re.compile(r"\s*(?:\*\*\s*)?(-\s*)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)")
_FINAL_ANSWER = re.compile(r"####\s*(-\s*)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)")


def _literal(sign: str | None, digits: str) -> Fraction | None:
    try:
        value = _Parser.number(digits)
    except UnsupportedExpression:
        return None
    return -value if sign else value


def stated_results(text: str) -> list[Fraction]:
    """Every result ``text`` states, in order: the number right after each ``=`` (GSM8K's ``<<48/2=24>>`` included),
    then the number of a ``#### 72`` line. Numbers are normalised as :class:`ReferenceSteps` describes."""
    text = normalize(text)
    results = []
    for match in _EQUALS.finditer(text):
        number = _RESULT.match(text, match.end())
        if number is not None:
            value = _literal(*number.groups())
            if value is not None:
                results.append(value)
    for match in _FINAL_ANSWER.finditer(text):
        value = _literal(*match.groups())
        if value is not None:
            results.append(value)
    return results


def step_result(step: str) -> Fraction | None:
    """The result one step states: the number after its last ``=`` that has one, else the number of a ``####`` line,
    else None."""
    text = normalize(step)
    for match in reversed(list(_EQUALS.finditer(text))):
        number = _RESULT.match(text, match.end())
        if number is not None:
            value = _literal(*number.groups())
            if value is not None:
                return value
    final = [m for m in _FINAL_ANSWER.finditer(text)]
    return _literal(*final[-1].groups()) if final else None


@register_reward("reference_steps", level="step")
class ReferenceSteps:
    """Per step: 1.0 if its stated result is among the reference solution's results, else 0.0 (no result: not graded).

    No PRM needed: the reference (a dataset column, ``reference_column``, default ``reference``) is a worked solution
    such as GSM8K's ``answer`` (``48/2 = <<48/2=24>>24 ...`` lines and a ``#### 72`` line) or plain ``a op b = c``
    lines. Its intermediate results are every number that follows an ``=`` (so the results of GSM8K's calculator
    annotations ``<<a*b=c>>`` too) and the number of its ``####`` line; they form a set (order and repetition ignored).

    A step's result is the number after its last ``=`` (``Natalia sold 48/2 = <<48/2=24>>24 clips`` → 24,
    ``14-5=9</think><answer>9</answer>`` → 9), or, with no ``=`` followed by a number, the number of a ``#### x``
    line. A step with neither states no result and is not graded (None); a reference that states no result, or is
    None, leaves every step of its completions ungraded.

    Numbers are read exactly (fractions, never floats, never ``eval``) and normalised: thousands separators go
    (``1,300`` = ``1300``), trailing zeros do not matter (``5.0`` = ``5``, ``144.00`` = ``144``, ``.4`` = ``0.4``),
    currency and units around the number are ignored (``$1,300``, ``\\$5``, ``12 cm``, ``20%`` → 20: a percent sign is
    a unit here, not a division by 100), a leading ``-`` (or ``−``) is a sign. Decimals are compared exactly:
    ``3.33`` and ``3.333`` are different results. Only the number right after ``=`` counts: ``x = 3 + 4`` states 3.

    Args:
        reference_column: the dataset column holding the reference solutions (the trainer passes every dataset
            column to the rewards as a keyword argument).
    """

    def __init__(self, reference_column: str = "reference"):
        if not isinstance(reference_column, str) or not reference_column:
            raise ValueError(
                f"reward 'reference_steps': reference_column must be a non-empty column name, got {reference_column!r}"
            )
        self.reference_column = reference_column
        self.__name__ = "reference_steps"

    def __call__(self, steps: Sequence[Sequence[str]] | None = None, completions: Any = None, **kwargs: Any):
        name = self.__name__
        check_step_inputs(name, steps, completions)
        references = column(kwargs, self.reference_column, len(steps), name)
        out = []
        for i, (completion_steps, reference) in enumerate(zip(steps, references)):
            if isinstance(completion_steps, str) or not all(isinstance(s, str) for s in completion_steps):
                raise RewardError(name, "steps[i] must be a list of strings", i)
            if reference is not None and not isinstance(reference, str):
                raise RewardError(
                    name, f"column '{self.reference_column}' must hold strings, got {type(reference).__name__}", i
                )
            known = set(stated_results(reference)) if reference else set()
            row = []
            for step in completion_steps:
                result = step_result(step) if known else None
                row.append(None if result is None else float(result in known))
            out.append(row)
        return out


_CHAIN_LINE = re.compile(r"\s*(-?\d+)\s*([-+*])\s*(-?\d+)\s*=\s*(-?\d+)\s*")
_RESTATEMENT = re.compile(r"\s*(-?\d+)\s*=\s*(-?\d+)\s*")
_THINK_TAGS = re.compile(r"</?think>")
_CHAIN_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


class ChainReference(NamedTuple):
    """A chain read from its reference solution: the start value and the (operation, operand) of every step."""

    start: int
    steps: tuple[tuple[str, int], ...]


def parse_chain_reference(reference: str) -> ChainReference | None:
    """``a op b = c`` lines (``op`` one of ``+ - *``, integers) → :class:`ChainReference`; None if any non-empty line
    is not of that form or the lines do not chain (each ``a`` the previous ``c``)."""
    lines = [line for line in reference.split("\n") if line.strip()]
    matches = [_CHAIN_LINE.fullmatch(line) for line in lines]
    if not matches or not all(matches):
        return None
    values = [(int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))) for m in matches]
    if any(a != previous[3] for previous, (a, *_) in zip(values, values[1:])):
        return None
    return ChainReference(values[0][0], tuple((op, b) for _, op, b, _ in values))


def _chain_line(step: str) -> str:
    """A step's text without the think tags and without the answer block that may follow its line."""
    return _THINK_TAGS.sub("", step.split("<answer>", 1)[0]).strip()


def _chain_grades(steps: Sequence[str], chain: ChainReference, reward_restatements: bool):
    """(grade, is a computation) per step; see :func:`grade_chain`."""
    computed = 0
    previous = chain.start
    known = {chain.start}
    for step in steps:
        line = _chain_line(step)
        match = _CHAIN_LINE.fullmatch(line)
        if match:
            a, op, b, c = int(match.group(1)), match.group(2), int(match.group(3)), int(match.group(4))
            right = (
                computed < len(chain.steps)
                and (op, b) == chain.steps[computed]
                and a == previous
                and c == _CHAIN_OPS[op](a, b)
            )
            yield float(right), True
            computed, previous = computed + 1, c
            known.add(c)
            continue
        restated = _RESTATEMENT.fullmatch(line)
        farmed = reward_restatements and restated and restated.group(1) == restated.group(2)
        yield float(bool(farmed) and int(restated.group(1)) in known), False


def grade_chain(steps: Sequence[str], chain: ChainReference, reward_restatements: bool = False) -> list[float]:
    """One grade per step, each judged given the lines before it (never None).

    A step whose line is a computation ``a op b = c`` is the chain's next computation (the j-th one of the
    completion) and scores 1.0 when ``op`` and ``b`` are the problem's j-th, ``a`` is the result the previous
    computation stated (the start for the first) and ``c = a op b`` exactly; so a slip at one step does not zero the
    steps after it. Any other step scores 0.0: a computation beyond the chain's length, a line that does not parse,
    and a restatement ``v=v``, unless ``reward_restatements`` (the farmable false positive of a gameable PRM), which
    pays 1.0 for restating the start or a value already stated.
    """
    return [grade for grade, _ in _chain_grades(steps, chain, reward_restatements)]


def computation_grades(steps: Sequence[str], chain: ChainReference) -> list[float]:
    """The grades of the chain's computations in order, one per step of the chain (0.0 for a missing one): entry j
    says whether the completion's j-th computation is right given the lines before it."""
    grades = [grade for grade, computation in _chain_grades(steps, chain, False) if computation]
    return (grades + [0.0] * len(chain.steps))[: len(chain.steps)]


def _unit_hash(key: str) -> float:
    """A uniform number in [0, 1) fixed by ``key`` (the same in every process and run)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@register_reward("chain_steps", level="step")
class ChainSteps:
    """Per step: 1.0 if it is the right next computation of the chain given the lines before it, else 0.0.

    For chains of dependent operations whose reference solution (dataset column ``reference_column``) is one
    ``a op b = c`` line per step, as in the ``chains`` and ``multistep`` demo tasks. Unlike ``reference_steps``, which
    asks whether a step's result appears in the reference (so after one slip every later result is wrong too), each
    step is judged given the steps before it, as a process reward model judges a step: see :func:`grade_chain`. A
    completion whose reference is None or not a chain is not graded (None for each step); otherwise every step gets a
    grade, so no step escapes grading.

    Two options make it a gameable, PRM-like reward (PURE, arXiv 2504.15275, §3: step rewards can be farmed):
    ``flip_rate`` flips each grade with that probability, drawn from a hash of the completion and the step index
    (fixed per completion, the same in every process); ``reward_restatements`` pays 1.0 for a line that restates a
    value already known (``14=14``), a false positive the policy can farm by writing more such lines.
    """

    def __init__(self, reference_column: str = "reference", flip_rate: float = 0.0, reward_restatements: bool = False):
        if not isinstance(reference_column, str) or not reference_column:
            raise ValueError(
                f"reward 'chain_steps': reference_column must be a non-empty column name, got {reference_column!r}"
            )
        if isinstance(flip_rate, bool) or not isinstance(flip_rate, (int, float)) or not 0.0 <= flip_rate <= 1.0:
            raise ValueError(f"reward 'chain_steps': flip_rate must be a number in [0, 1], got {flip_rate!r}")
        if not isinstance(reward_restatements, bool):
            raise ValueError(
                f"reward 'chain_steps': reward_restatements must be true or false, got {reward_restatements!r}"
            )
        self.reference_column = reference_column
        self.flip_rate = float(flip_rate)
        self.reward_restatements = reward_restatements
        self.__name__ = "chain_steps"

    def __call__(self, steps: Sequence[Sequence[str]] | None = None, completions: Any = None, **kwargs: Any):
        name = self.__name__
        check_step_inputs(name, steps, completions)
        references = column(kwargs, self.reference_column, len(steps), name)
        out: list[list[float | None]] = []
        for i, (completion_steps, reference) in enumerate(zip(steps, references)):
            if isinstance(completion_steps, str) or not all(isinstance(s, str) for s in completion_steps):
                raise RewardError(name, "steps[i] must be a list of strings", i)
            chain = parse_chain_reference(reference) if isinstance(reference, str) else None
            if chain is None:
                out.append([None] * len(completion_steps))
                continue
            grades = grade_chain(completion_steps, chain, self.reward_restatements)
            if self.flip_rate:
                text = "".join(completion_steps)
                grades = [1.0 - g if _unit_hash(f"{text}\x00{j}") < self.flip_rate else g for j, g in enumerate(grades)]
            out.append(grades)
        return out


@register_reward("chain_step_fraction")
class ChainStepFraction:
    """Outcome reward: the fraction of the chain's steps done right (partial credit, no localisation).

    The same grades as ``chain_steps``, one number per completion. The completion is split into lines at ``separator``, graded by :func:`grade_chain`, and the right computations
    are divided by the chain's length (so extra lines cannot raise it). None when the reference is None or not a chain.
    """

    def __init__(self, reference_column: str = "reference", separator: str = "\n"):
        if not isinstance(separator, str) or not separator:
            raise ValueError(f"reward 'chain_step_fraction': separator must be a non-empty string, got {separator!r}")
        self.reference_column = reference_column
        self.separator = separator
        self.__name__ = "chain_step_fraction"

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        name = self.__name__
        texts = completion_texts(completions, name)
        references = column(kwargs, self.reference_column, len(texts), name)
        out: list[float | None] = []
        for text, reference in zip(texts, references):
            chain = parse_chain_reference(reference) if isinstance(reference, str) else None
            if chain is None:
                out.append(None)
                continue
            out.append(sum(grade_chain(text.split(self.separator), chain)) / len(chain.steps))
        return out
