"""Settings of alert targets and of the paging policy."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AlertsConfig(BaseModel):
    """The `[alerts]` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: list[dict[str, Any]] = Field(default_factory=list)
