"""The desk a `baoxiu` command works on: built on first use from --config, once per command."""
from __future__ import annotations

import click

from bot.bootstrap import Desk, bootstrap
from bot.settings import SettingsError, load_settings


class DeskContext:
    def __init__(self, config: str | None) -> None:
        self.config = config
        self._desk: Desk | None = None

    def desk(self) -> Desk:
        if self._desk is None:
            try:
                self._desk = bootstrap(load_settings(self.config))
            except SettingsError as e:
                raise click.ClickException(str(e)) from None
        return self._desk


pass_ctx = click.make_pass_decorator(DeskContext)
