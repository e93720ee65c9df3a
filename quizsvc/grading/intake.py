"""A submitted file, read on the trusted side before anything is stored or run.

Refused (:class:`Unreadable`) is what can never be graded: a malformed notebook, and source that
crashes Python's parser itself (a few thousand nested brackets or operators raise RecursionError
or MemoryError, not SyntaxError). A file with an ordinary syntax error is accepted: it is
graded 0 and the student sees the error, as Python reports it, which is the feedback they want.
"""

from __future__ import annotations

from quizsvc.grading.notebook import NotebookError, extract_code
from quizsvc.text import Text


class Unreadable(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def python_source(text: str, filename: str) -> tuple[str, list[Text]]:
    """The Python source of a submitted file (a notebook's code cells), and notes on what was
    left out of it. Does not parse: grading runs this for every submission."""
    if not filename.endswith(".ipynb"):
        return text, []
    try:
        source, notes = extract_code(text)
    except NotebookError as exc:
        raise Unreadable(exc.text) from None
    return source, notes


def check_parses(source: str, filename: str = "solution.py") -> None:
    """Raise Unreadable when compiling ``source`` crashes the parser (it never runs it)."""
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError:
        return  # the student's to see, in the grade
    except (RecursionError, MemoryError):
        raise Unreadable(Text(
            en="the code is nested too deeply for Python's parser (brackets or operators "
            "thousands of levels deep)",
            ko="코드가 파이썬 파서가 처리할 수 없을 만큼 깊게 중첩되어 있습니다 (괄호나 연산자가 "
            "수천 단계)")) from None
    except UnicodeError:  # a lone surrogate, from a JSON "\\ud800" escape
        raise Unreadable(Text(en="the code is not valid Unicode text (a lone surrogate)",
                              ko="코드가 올바른 유니코드 텍스트가 아닙니다 (짝 없는 서로게이트)")) from None
    except ValueError:  # a NUL character
        raise Unreadable(Text(en="the code contains a NUL character",
                              ko="코드에 NUL 문자가 있습니다")) from None


def read_submission(text: str, filename: str) -> tuple[str, list[Text]]:
    """What accepting a submission checks: :func:`python_source`, then :func:`check_parses`."""
    source, notes = python_source(text, filename)
    check_parses(source, filename)
    return source, notes
