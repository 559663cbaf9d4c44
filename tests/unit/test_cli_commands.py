"""The listing `dunmore --help` shows without importing the command modules (issue 15) is the
commands' own: same names, order, panels and lines in the three languages, and the same page."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from dunmore.cli import commands
from dunmore.cli.app import app
from dunmore.cli.commands import LISTING, LazyCommands, LazyGroup, written
from dunmore.cli.language import translate_help
from dunmore.i18n import LANGUAGES

runner = CliRunner()


def test_the_listing_is_written_from_the_commands_as_they_are() -> None:
    stored = json.loads(LISTING.read_text(encoding="utf-8"))
    assert stored == written(translate_help, LANGUAGES), "run `python -m dunmore.cli.commands`"


def test_every_command_module_is_in_the_listing() -> None:
    listed = {row.module for row in commands.listing().values()}
    assert listed == set(commands.MODULES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_from_the_listing_is_the_help_from_the_commands(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"DUNMORE_LANG": language, "COLUMNS": "120"}
    from_listing = runner.invoke(app, ["--help"], env=env)
    monkeypatch.setattr(
        LazyCommands, "as_listed", lambda self, _language: {name: self[name] for name in self}
    )
    from_commands = runner.invoke(app, ["--help"], env=env)
    assert from_listing.exit_code == from_commands.exit_code == 0
    assert "aging" in from_listing.output
    assert from_listing.output == from_commands.output


def test_a_command_is_built_with_the_others_of_its_module_and_only_them() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    assert group.lazy["hold"].name == "hold"
    assert set(group.lazy.found) == {"hold", "release", "cease-contact", "resume-contact"}


def test_an_unknown_command_is_refused_with_the_names_it_may_mean() -> None:
    done = runner.invoke(app, ["agin"], env={"DUNMORE_LANG": "en"})
    assert done.exit_code == 2
    assert "No such command 'agin'. Did you mean 'aging'?" in done.output
