"""The command line as a user meets it: bad values answered in one line, help that is the
manual, the same spelling for the same thing, and the corpus side working without the
training libraries."""

from __future__ import annotations

import enum
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from mnemophrase.cli import main
from tests.conftest import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "build"
    result = run("build", "--langs", "ru,en,th", "--n", 200, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    return out


def _one_line(result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("args,says", [
    (["--lang", "xx"], "--lang: 'xx' is not one of this build's langs: ru, en, th"),
    (["--split", "xx"], "--split: 'xx' is not one of this build's splits: train, validation"),
    (["--stage", "xx"], "--stage: 'xx' is not one of this build's stages: mnemo, bridge"),
    (["--seed", "-3"], "'--seed': -3 is not in the range 0<=x<=18446744073709551615"),
    (["--seed", str(2**64)], "is not in the range 0<=x<=18446744073709551615"),
    (["-n", "0"], "'-n' / '--n': 0 is not in the range x>=1"),
    (["--n", "many"], "'many' is not a valid integer"),
])
def test_sample_bad_values_name_the_valid_ones(built, args, says):
    line = _one_line(run("sample", built, *args), 2)
    assert line.startswith("corpusgen sample: ") and says in line
    assert line.endswith("(see `corpusgen sample --help`)")


@pytest.mark.parametrize("command", ["build", "sample"])
@pytest.mark.parametrize("spelling", ["-n", "--n"])
def test_build_and_sample_take_n_in_both_spellings(command, spelling):
    cmd = main.commands[command]
    args = [spelling, "7", "DIR"] if command == "sample" else [spelling, "7", "--out", "x"]
    assert cmd.make_context(command, args).params["n" if command == "build" else "count"] == 7


def test_sample_prints_n_rows(built):
    result = run("sample", built, "-n", 2, "--seed", 1)
    assert result.exit_code == 0 and result.stdout.count("sentence:") == 2


@pytest.mark.parametrize("args,says", [
    (["--seed", "-1"], "--seed: -1 is outside 0..18446744073709551615"),
    (["--seed", str(2**64)], "is outside 0..18446744073709551615"),
    (["--mix", "nan"], "--mix: nan is outside 0..1"),
    (["--workers", "0"], "0 is not in the range 1<=x<="),
    (["--langs", ""], "give at least one language code"),
    (["--langs", "en,en"], "a language is listed twice"),
])
def test_build_bad_values_are_one_line_and_write_nothing(tmp_path, args, says):
    out = tmp_path / "out"
    line = _one_line(run("build", "--out", out, "--quiet", *args), 2)
    assert says in line and not out.exists()


def test_one_language_with_a_mix_warns_that_nothing_can_be_cross_lingual(tmp_path):
    result = run("build", "--langs", "en", "--mix", 1, "-n", 30, "--out", tmp_path / "o",
                 "--quiet")
    assert result.exit_code == 0
    assert result.stderr.strip() == ("corpusgen: warning: --mix 1 asks for cross-lingual "
                                     "hyperwords, but the build has one language (en): every "
                                     "hyperword will be in it alone")
    assert "(0% cross-lingual)" in result.stdout
    for mix in (["--mix", "0"], []):  # no mix asked for: nothing to warn about
        quiet = run("build", "--langs", "en", *mix, "-n", 30, "--out", tmp_path / str(mix),
                    "--quiet")
        assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_tokenizer_options_default_to_the_library_defaults():
    from mnemophrase.cli import tokenizer as cli
    from mnemophrase.tokenizer import background, init_embeddings, splitters, train

    assert cli.MODEL_TYPES == train.MODEL_TYPES and cli.SPLITTERS == splitters.SPLITTERS
    assert cli.INITS == init_embeddings.INITS
    command = main.commands["tokenizer"].commands["train"]
    ctx = click.Context(command)
    defaults = {p.name: p.get_default(ctx) for p in command.params}
    assert defaults["vocab_size"] == train.DEFAULT_VOCAB
    assert defaults["background"] == background.DEFAULT_WORDS
    shown = run("tokenizer", "train", "--help").stdout
    assert f"[default: {train.DEFAULT_VOCAB}" in shown.replace("\n", " ").replace("  ", " ")


def test_a_tokenizer_trained_into_a_build_keeps_it_verifiable(built, tmp_path):
    import shutil

    copy = tmp_path / "tok"
    shutil.copytree(built, copy)
    trained = run("tokenizer", "train", copy, "--background", 0, "--vocab-size", 2000,
                  "--quiet")
    assert trained.exit_code == 0, trained.stderr
    assert run("check", copy, "--quick").exit_code == 0
    bad = run("tokenizer", "train", copy, "--background-file", "ru")
    assert bad.exit_code == 2 and "expected CODE=FILE" in bad.stderr


def test_an_unknown_command_is_one_line():
    assert "No such command 'nosuch'" in _one_line(run("nosuch"), 2)


def _commands(group: click.Group, prefix: str = "corpusgen"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


COMMANDS = list(_commands(main))


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_option_has_help_with_its_range_and_default(path, command):
    assert command.help, f"{path} has no help"
    ctx = click.Context(command)
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        name = param.opts[-1]
        assert param.help and len(param.help) > 10, f"{path} {name}: no help"
        if param.is_flag or param.required:
            continue
        default = param.get_default(ctx, call=False)
        has_default = default is not None and not isinstance(default, enum.Enum)
        assert (not has_default or param.show_default
                or "[default:" in param.help), f"{path} {name}: default not shown"
        if not has_default:
            assert "[default:" in param.help, f"{path} {name}: what happens without it?"
        if param.type in (click.INT, click.FLOAT):
            assert ".." in param.help or "or more" in param.help, \
                f"{path} {name}: no range in its help"


def test_help_is_printed_for_every_command():
    for path, _ in COMMANDS:
        result = run(*path.split()[1:], "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout, path


HIDE_TRAINING = textwrap.dedent("""
    import sys
    from importlib.machinery import PathFinder

    HIDDEN = {"torch", "transformers", "peft", "accelerate", "gguf", "trl"}

    class Hide(PathFinder):
        # the training libraries, as if not installed: neither importable nor found
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name.partition(".")[0] in HIDDEN:
                return None
            return PathFinder.find_spec(name, path, target)

    sys.meta_path = [Hide if f is PathFinder else f for f in sys.meta_path]

    from click.testing import CliRunner
    from mnemophrase.cli import main

    out = sys.argv[1]
    for args in (["lexicon", "check", "--langs", "ru,en,th"], ["lang", "check", "th"],
                 ["build", "--langs", "ru,en,th", "-n", "100", "--out", out, "--quiet"],
                 ["check", out], ["stats", out], ["sample", out, "-n", "1"],
                 ["cache", "info"], ["push", out, "--repo", "alice/x", "--dry-run"],
                 ["tokenizer", "train", out, "--background", "0", "--vocab-size", "2000",
                  "--quiet"], ["check", out, "--quick"]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 0, (args, r.output, r.exception)
    assert not HIDDEN & set(m.partition(".")[0] for m in sys.modules), "imported anyway"

    @main.command("needs-torch")
    def needs_torch():
        \"\"\"What a training command does first.\"\"\"
        import torch  # noqa: F401

    r = CliRunner().invoke(main, ["needs-torch"])
    print(r.exit_code, r.output.strip())
""")


def test_the_corpus_side_works_without_the_training_libraries(tmp_path):
    """`pip install mnemo-corpus` has no torch: every corpus command works, and one that
    needs the training side says which extra to install."""
    done = subprocess.run([sys.executable, "-c", HIDE_TRAINING, str(tmp_path / "b")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last == ("1 corpusgen: this needs torch, which is not installed: pip install "
                    "'mnemo-corpus[train]'"), last


def test_output_cut_by_a_pipe_ends_quietly(built):
    """`corpusgen sample DIR | head -0`: the reader is gone before the first row is written;
    no traceback, no error line."""
    reader = subprocess.Popen([sys.executable, "-m", "mnemophrase.cli", "sample", str(built),
                               "-n", "200"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()
    err = reader.stderr.read().decode()
    reader.wait(timeout=60)
    assert "Traceback" not in err and "Broken pipe" not in err, err
