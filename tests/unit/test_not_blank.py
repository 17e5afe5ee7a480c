"""The request schemas' "not blank" rule refuses exactly the text the domain finds empty
after str.strip(), so a request the OpenAPI document calls valid is never refused."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from schemas.common import NOT_BLANK, PYTHON_WHITESPACE


def test_the_spelled_out_whitespace_is_exactly_pythons() -> None:
    spelled = re.compile(f"[{PYTHON_WHITESPACE}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(spelled.fullmatch(char)) == char.isspace(), hex(code)


def refused(value: str) -> bool:
    try:
        NOT_BLANK(value)
    except ValidationError:
        return True
    return False


@given(st.text(alphabet=st.sampled_from(" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u2007\u3000ab=")))
def test_refused_exactly_when_nothing_is_left_after_strip(value: str) -> None:
    assert refused(value) == (value.strip() == "")


@pytest.mark.parametrize("value", ["a", " a ", "\x1fa\x1f", "=\x17", "\u200b"])
def test_text_with_something_in_it_passes(value: str) -> None:
    assert not refused(value)
