"""The certificate settings are read strictly: a wrong site address, issuer or serial prefix
stops start-up with one sentence instead of printing nonsense on every certificate."""

from __future__ import annotations

import pytest

from lms import config


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "http://127.0.0.1:8000"),
        ("https://academy.example.gov.cn/", "https://academy.example.gov.cn"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ],
)
def test_the_site_url_is_a_root_address(monkeypatch, value, expected):
    monkeypatch.setenv("LMS_SITE_URL", value)
    assert config.base_url("LMS_SITE_URL", "http://127.0.0.1:8000") == expected


@pytest.mark.parametrize(
    "value",
    [
        "academy.example.gov.cn",
        "ftp://academy.example.gov.cn",
        "https://academy.example.gov.cn/portal/",
        "https://academy.example.gov.cn/?x=1",
        "https://user@academy.example.gov.cn",
        "http://127.0.0.1:99999",
        "http://",
    ],
)
def test_a_site_url_with_anything_else_stops_start_up(monkeypatch, value):
    monkeypatch.setenv("LMS_SITE_URL", value)
    with pytest.raises(config.ConfigError, match="LMS_SITE_URL"):
        config.base_url("LMS_SITE_URL", "http://127.0.0.1:8000")


def test_the_issuer_is_one_printable_line_of_at_most_120_characters(monkeypatch):
    monkeypatch.setenv("CERTIFICATE_ISSUER", "江苏省干部网络学院")
    assert config.text("CERTIFICATE_ISSUER", "x", max_length=120) == "江苏省干部网络学院"
    for wrong in ("一" * 121, "第一行\n第二行"):
        monkeypatch.setenv("CERTIFICATE_ISSUER", wrong)
        with pytest.raises(config.ConfigError, match="CERTIFICATE_ISSUER"):
            config.text("CERTIFICATE_ISSUER", "x", max_length=120)


@pytest.mark.parametrize("value", ["zj", "Z1", "ABCDEFGHI", "Z-J"])
def test_the_serial_prefix_is_capital_letters_only(monkeypatch, value):
    monkeypatch.setenv("CERTIFICATE_SERIAL_PREFIX", value)
    with pytest.raises(config.ConfigError, match="capital letters"):
        config.matching("CERTIFICATE_SERIAL_PREFIX", "ZJ", r"[A-Z]{1,8}", "capital letters")
