"""The ``snn`` command: subcommand registration and argument handling (demo/gallery runs: test_demo/test_gallery)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import snn_core
from snn_core import cli


@pytest.fixture
def no_plugins(monkeypatch):
    monkeypatch.setenv("SNN_DISABLE_PLUGIN_AUTOLOAD", "1")
    snn_core.reload_plugins()


def test_every_subcommand_is_registered():
    assert {"plugins", "components", "demo", "gallery"} <= set(cli.COMMANDS)
    parser = cli.build_parser()
    args = parser.parse_args(["demo", "--quick", "--epochs", "2", "--model", "lib", "--device", "auto"])
    assert (args.command, args.quick, args.epochs, args.model, args.device) == (
        "demo",
        True,
        2,
        "lib",
        "auto",
    )
    assert args.seed is None and args.out is None  # unset options keep DemoConfig's defaults
    args = parser.parse_args(["gallery"])
    assert (args.out, args.columns, args.dpi, args.behaviours) == ("izhikevich-gallery.png", 5, 100, None)


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--model", "rnn"],
        ["demo", "--epochs", "two"],
        ["demo", "--encoder", "morse"],
        ["gallery", "--dpi", "x"],
        ["nonsense"],
    ],
)
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2


def test_plugins_json_lists_in_process_plugin(no_plugins, capsys):
    class Extra:
        @snn_core.hookimpl
        def snn_register_thresholds(self):
            return [snn_core.ThresholdSpec(name="cli_test_step", fn=lambda x, alpha: (x > 0).to(x.dtype))]

    with snn_core.registered(Extra(), "cli-extra"):
        assert cli.main(["plugins", "--json"]) == 0
        listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
        assert "cli-extra" in listed and "snn-core" in listed
        assert cli.main(["components", "--kind", "thresholds", "--json"]) == 0
        names = [c["name"] for c in json.loads(capsys.readouterr().out)["thresholds"]]
        assert "cli_test_step" in names and "super" in names


def test_components_table(no_plugins, capsys):
    assert cli.main(["components", "--kind", "neurons"]) == 0
    assert "neurons (0)" in capsys.readouterr().out
    assert cli.main(["components"]) == 0
    out = capsys.readouterr().out
    assert "thresholds (" in out and "heaviside" in out


def test_python_m_snn_core_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "snn_core", "demo", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "--quick" in result.stdout and "snn-core[demo]" in result.stdout
