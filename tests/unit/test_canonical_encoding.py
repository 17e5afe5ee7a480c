"""canonical() takes a fast encoder for plain values; the bytes must never change, or
every stored hash would stop verifying. The reference is the json spelling."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.ledger.domain.chain import canonical

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # past 64 bits on purpose
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),  # controls, emoji, RTL
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def reference(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@settings(max_examples=500, deadline=None)
@given(values)
def test_canonical_bytes_equal_the_json_spelling(value: Any) -> None:
    assert canonical(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [1e16, 1e-7, 2**64, {"\x7f\u2028\x00": "\x1f\u2029"}, {1: "int key"}, {"z": 1, "é": 2}],
)
def test_values_the_two_encoders_spell_differently_keep_the_json_spelling(value: Any) -> None:
    assert canonical(value) == reference(value)


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("odd", [uuid.uuid4(), date(2026, 11, 25), Colour.RED, Point(1)])
def test_values_json_cannot_encode_are_still_refused(odd: object) -> None:
    with pytest.raises(TypeError):
        canonical({"payload": odd})
