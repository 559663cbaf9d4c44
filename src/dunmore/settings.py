"""The one settings object: environment variables `DUNMORE_*`, a TOML file, then CLI flags.

Built once in the composition root (the CLI or the web app) and passed in; nothing reads it at import.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUNMORE_", toml_file="dunmore.toml", extra="forbid")

    database_url: str = Field(
        default="sqlite:///dunmore.db",
        description="SQLAlchemy URL of the database: sqlite:///file.db (default) or postgresql://…",
    )

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
