"""The one settings object: environment variables `DUNMORE_*`, a TOML file, then CLI flags.

Built once in the composition root (the CLI or the web app) and passed in; nothing reads it at import.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dunmore.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUNMORE_", toml_file="dunmore.toml", extra="forbid")

    database_url: str = Field(
        default="sqlite:///dunmore.db",
        description="SQLAlchemy URL of the database: sqlite:///file.db (default) or postgresql://…",
    )

    timezone: str = Field(
        default="Asia/Shanghai",
        description="The creditor's IANA timezone: it decides what 'today' (the business date) is.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}: use an IANA name such as Asia/Shanghai") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides: str) -> Settings:
    """Settings from the environment and dunmore.toml, then `overrides`; errors as `ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid settings (environment DUNMORE_*, dunmore.toml or flags): {problems}"
        ) from exc
