"""Configuration validation with messages that name the key and the allowed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A config value the workflow cannot run with."""


def _key(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not allowed; choose one of {error.validator_value}"
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        return f"{key}: {error.message}; known keys are {allowed}"
    if error.validator == "minItems" and error.validator_value == 1:
        return f"{key}: must not be empty"
    hint = f" ({schema['description']})" if "description" in schema else ""
    return f"{key}: {error.message}{hint}"


def validate_config(config: dict[str, Any], schema_path: Path | str) -> None:
    """Raise :class:`ConfigError` listing every problem in ``config``."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {_describe(e)}" for e in errors)
        raise ConfigError(f"invalid configuration:\n{lines}")
