"""The fenced code blocks of README.md and docs/*.md, found by parsing the files (so a new snippet is tested at once).

A fence is a line ```` ```lang ```` (indented or not) up to the next line ```` ``` ```` at the same indentation; the
code is dedented by the fence's indentation. Each snippet knows its file, its language, its number among the snippets
of that language in the file (1-based) and the line of its opening fence, and its id reads ``README.md:python1@L43``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_OPEN = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^`\s]*)[ \t]*$")


@dataclass(frozen=True)
class Snippet:
    path: str  # relative to the repository, e.g. "docs/rewards.md"
    lang: str  # the fence's info string ("" when the fence has none)
    index: int  # 1-based among this file's snippets of the same language
    line: int  # line of the opening fence, 1-based
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lang or 'unlabelled'}{self.index}@L{self.line}"


def doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def parse_snippets(text: str, path: str) -> list[Snippet]:
    """Every fenced block of one Markdown text; an unclosed fence raises ValueError (a broken page)."""
    lines = text.splitlines()
    found, counts, i = [], {}, 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, lang = match["indent"], match["lang"]
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == f"{indent}```"), None)
        if end is None:
            raise ValueError(f"{path}:{i + 1}: the fence opened here is never closed")
        counts[lang] = counts.get(lang, 0) + 1
        code = textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n"
        found.append(Snippet(path=path, lang=lang, index=counts[lang], line=i + 1, code=code))
        i = end + 1
    return found


def all_snippets(*langs: str) -> list[Snippet]:
    """The snippets of README.md and docs/*.md in the given languages (all of them when none is given)."""
    found = []
    for file in doc_files():
        found += parse_snippets(file.read_text(encoding="utf-8"), file.relative_to(REPO).as_posix())
    return [s for s in found if not langs or s.lang in langs]
