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
