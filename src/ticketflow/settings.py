"""One validated settings object, built once (in ``wiring``) and passed in; never a module global.

Precedence, highest first: explicit overrides, ``TICKETFLOW_*`` environment variables (nested with ``__``,
e.g. ``TICKETFLOW_ROUTING__UNSURE_THRESHOLD``), the workspace's ``ticketflow.toml``, then the defaults below.
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ticketflow.errors import ConfigError

_toml_data: ContextVar[dict[str, Any] | None] = ContextVar("_toml_data", default=None)


class _Section(BaseModel):
    """A ``[section]`` of ticketflow.toml; unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class RoutingSettings(_Section):
    unsure_threshold: float = Field(0.35, ge=0.0, le=1.0, description="below this confidence: human review")
    tone_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="overrides rules.yaml tone.threshold"
    )


class ContextSettings(_Section):
    token_budget: int = Field(700, ge=100, description="tokens for the variable part of the prompt")
    passages: int = Field(3, ge=1, le=10)
    history_turns: int = Field(8, ge=0, le=50)
    min_retrieval_score: float = Field(0.5, ge=0.0, description="below this, the offline drafter hands off")


class ValidationSettings(_Section):
    max_words: int = Field(200, ge=20)
    regenerate: bool = Field(True, description="one regeneration with the failures as feedback")


class ModelSettings(_Section):
    generation: str = "claude-sonnet-5-5"
    validation: str = "claude-haiku-5-5"


class RuntimeSettings(_Section):
    worker_concurrency: int = Field(8, ge=1)
    polling_interval_sec: float = Field(0.2, gt=0.0)
    executor_id: str | None = None


class Settings(BaseSettings):
    """Everything configurable. Build with :meth:`Settings.load`, which reads the workspace's toml."""

    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", env_nested_delimiter="__", extra="forbid")

    workspace: Path = Path("examples/store")
    name: str = "ticketflow"
    data_dir: Path | None = Field(None, description="models and default databases; default WORKSPACE/var")
    database_url: str | None = Field(None, description="default: sqlite file under the workspace's var/")
    system_database_url: str | None = Field(
        None, description="DBOS system database; default: beside the app db"
    )
    provider: Literal["offline"] = "offline"
    offline_latency_ms: float = Field(
        0.0, ge=0.0, description="simulated model latency of the offline drafter"
    )
    models: ModelSettings = ModelSettings()
    routing: RoutingSettings = RoutingSettings()
    context: ContextSettings = ContextSettings()
    validation: ValidationSettings = ValidationSettings()
    runtime: RuntimeSettings = RuntimeSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def var_dir(self) -> Path:
        return self.data_dir or self.workspace / "var"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'ticketflow.sqlite').resolve()}"

    @property
    def resolved_system_database_url(self) -> str:
        if self.system_database_url:
            return self.system_database_url
        if self.database_url and not self.database_url.startswith("sqlite"):
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'dbos.sqlite').resolve()}"

    @classmethod
    def load(cls, workspace: Path | str | None = None, **overrides: Any) -> Settings:
        """Settings for ``workspace``: its ``ticketflow.toml`` under the environment and ``overrides``."""
        ws = Path(workspace) if workspace is not None else None
        data: dict[str, Any] = {}
        if ws is not None:
            if not ws.is_dir():
                raise ConfigError(f"{ws}: the workspace folder does not exist (try `ticketflow init {ws}`)")
            data = read_toml(ws / "ticketflow.toml")
            overrides.setdefault("workspace", ws)
        token = _toml_data.set(data)
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            where = ws / "ticketflow.toml" if ws is not None else "settings"
            raise ConfigError(f"{where}: {problems} (or the matching TICKETFLOW_* variable)") from exc
        finally:
            _toml_data.reset(token)


def read_toml(path: Path) -> dict[str, Any]:
    """The toml file as a dict ({} when absent), or a ``ConfigError`` naming the file and line."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_toml_data.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_toml_data.get() or {})
