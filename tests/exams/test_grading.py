"""Grading rules, without a database: shapes, normalisation and partial credit."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from exams.grading import ResponseInvalid, check_response, grade, normalise

ONE = Decimal("1")


@dataclass
class Version:
    kind: str
    answer: Any = None
    options: list[dict[str, str]] = field(default_factory=list)


ABCD = [{"id": key, "text": key.upper()} for key in "abcd"]
SINGLE = Version("single", "b", ABCD)
MULTIPLE = Version("multiple", ["a", "c"], ABCD)
TRUE_FALSE = Version(
    "true_false", "false", [{"id": "true", "text": "对"}, {"id": "false", "text": "错"}]
)
FILL = Version("fill", [["防火墙", "firewall"], ["CA", "数字证书认证中心"]])
SHORT = Version("short")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ＣＡ", "ca"),
        (" 防火 墙 ", "防火墙"),
        ("Fire\u3000Wall", "firewall"),
        ("ＩＰｖ６", "ipv6"),
        ("１２３", "123"),
    ],
)
def test_typed_answers_are_normalised_for_width_case_and_spaces(typed, expected):
    assert normalise(typed) == expected


def test_a_single_choice_earns_full_points_or_none():
    assert grade(SINGLE, "b", ONE) == ONE
    assert grade(SINGLE, "a", ONE) == 0
    assert grade(SINGLE, None, ONE) == 0


def test_multiple_choice_gives_half_for_a_correct_subset_and_nothing_for_a_wrong_option():
    assert grade(MULTIPLE, ["a", "c"], Decimal("2")) == Decimal("2")
    assert grade(MULTIPLE, ["a"], Decimal("2")) == Decimal("1.00")
    assert grade(MULTIPLE, ["a", "b"], Decimal("2")) == 0
    assert grade(MULTIPLE, ["a", "b", "c"], Decimal("2")) == 0
    assert grade(MULTIPLE, [], Decimal("2")) == 0


def test_true_false():
    assert grade(TRUE_FALSE, "false", ONE) == ONE
    assert grade(TRUE_FALSE, "true", ONE) == 0


def test_fill_in_accepts_any_listed_answer_per_blank_in_any_width():
    assert grade(FILL, ["ＦＩＲＥＷＡＬＬ", " 数字证书认证中心"], Decimal("2")) == Decimal("2.00")
    assert grade(FILL, ["防火墙", "CB"], Decimal("2")) == Decimal("1.00")
    assert grade(FILL, ["", ""], Decimal("2")) == Decimal("0.00")


def test_short_answers_wait_for_a_person():
    assert grade(SHORT, "等级保护分为五级。", Decimal("5")) is None


@pytest.mark.parametrize(
    ("version", "response"),
    [
        (SINGLE, "e"),
        (SINGLE, ["b"]),
        (SINGLE, 2),
        (MULTIPLE, "a"),
        (MULTIPLE, ["a", "z"]),
        (MULTIPLE, [1, 2]),
        (TRUE_FALSE, True),
        (FILL, ["只填了一个"]),
        (FILL, "防火墙"),
        (FILL, ["x" * 201, "CA"]),
        (SHORT, ["列表"]),
        (SHORT, "长" * 5001),
    ],
)
def test_responses_of_the_wrong_shape_are_refused(version, response):
    with pytest.raises(ResponseInvalid):
        check_response(version, response)


def test_a_multiple_choice_response_is_stored_in_one_canonical_order():
    assert check_response(MULTIPLE, ["c", "a", "c"]) == ["a", "c"]
