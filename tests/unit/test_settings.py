from fastapi_docs_lsp.settings import Settings, parse_settings, settings_schema


def test_defaults_when_missing():
    settings, problems = parse_settings(None)
    assert settings == Settings() and problems == []


def test_nested_and_wrapped_forms():
    s1, p1 = parse_settings({"fastapi": {"referencePaths": ["/a"], "hover": {"maxLinks": 1}}})
    s2, p2 = parse_settings({"referencePaths": ["/a"], "hover": {"maxLinks": 1}})
    assert s1 == s2 and s1.referencePaths == ("/a",) and s1.hover.maxLinks == 1 and not p1 and not p2


def test_wrong_types_keep_defaults_with_messages():
    settings, problems = parse_settings({"maxFileSize": "big", "hover": {"enabled": "yes"}, "openReferencesIn": "tab", "diagnostics": 3})
    assert settings == Settings()
    assert len(problems) == 4 and any("openReferencesIn" in p for p in problems)


def test_unknown_keys_are_reported_not_fatal():
    settings, problems = parse_settings({"pythonPath": "/x/python", "frobnicate": True, "hover": {"colour": 1}})
    assert settings.pythonPath == "/x/python"
    assert any("frobnicate" in p for p in problems) and any("colour" in p for p in problems)


def test_not_an_object():
    settings, problems = parse_settings(["nope"])
    assert settings == Settings() and problems


def test_rule_severities():
    settings, problems = parse_settings({"diagnostics": {"rules": {"FA001": "off", "FA002": "loud"}}})
    assert settings.diagnostics.rules == {"FA001": "off"} and len(problems) == 1


def test_schema_lists_every_leaf():
    schema = settings_schema()
    assert schema["hover.maxLinks"] == 3 and schema["referencePaths"] == [] and "pythonPath" in schema


def test_values_are_checked_strictly_and_named_in_the_message():
    settings, problems = parse_settings({"maxFileSize": -1, "hover": {"maxLinks": True}, "logLevel": "verbose", "referencePaths": "/docs"})
    assert settings.maxFileSize == Settings().maxFileSize and settings.hover.maxLinks == 3 and settings.logLevel == "warning"
    assert settings.referencePaths == ("/docs",)  # one path as a string is accepted
    assert len(problems) == 3
    assert any("'maxFileSize'" in p and "invalid" in p for p in problems)
    assert any("'hover.maxLinks'" in p and "wrong type" in p for p in problems)
    assert any("'logLevel'" in p and "debug" in p for p in problems)


def test_null_means_not_set():
    settings, problems = parse_settings({"pythonPath": None, "hover": None, "maxFileSize": None})
    assert settings == Settings() and problems == []


def test_one_field_is_one_line(monkeypatch):
    """Another helper adds a setting by declaring it: parsing and the schema follow."""
    from dataclasses import make_dataclass
    from typing import Literal

    import fastapi_docs_lsp.settings as module

    Extended = make_dataclass(
        "Extended", [("docsLanguage", Literal["auto", "en", "de"], "auto"), ("codeLens", bool, True)], bases=(Settings,), frozen=True
    )
    problems: list[str] = []
    parsed = module._parse_into(Extended(), {"docsLanguage": "de", "codeLens": "no"}, "", problems)  # type: ignore[call-arg]
    assert parsed.docsLanguage == "de" and parsed.codeLens is True and len(problems) == 1
    problems = []
    module._parse_into(Extended(), {"docsLanguage": "xx"}, "", problems)  # type: ignore[call-arg]
    assert problems and "auto, en, de" in problems[0]
