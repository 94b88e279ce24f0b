"""snn_core.native: build, cache and load plain-C libraries; every failure is a ``None``, not a crash."""

from __future__ import annotations

import ctypes
import itertools
import os
import subprocess
import sys

import pytest

from snn_core import native

_names = (f"test-native-{n}" for n in itertools.count())
needs_compiler = pytest.mark.skipif(native._compiler() is None, reason="no C compiler on this machine")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write(tmp_path, text, name="k.c"):
    path = tmp_path / name
    path.write_text(text)
    return path


def declare_add(lib):
    lib.add.argtypes = [ctypes.c_double, ctypes.c_double]
    lib.add.restype = ctypes.c_double


@needs_compiler
def test_builds_caches_and_reuses(tmp_path, cache):
    source = write(tmp_path, "double add(double a, double b) { return a + b; }")
    name = next(_names)
    lib = native.load_library(name, [source], declare_add)
    assert lib is not None and lib.add(1.25, 2.5) == 3.75
    built = list(cache.glob(f"{name}-*.so"))
    assert len(built) == 1 and native.build_error(name) is None
    assert native.load_library(name, [source], declare_add) is lib  # once per process
    # a fresh process finds the cached file and does not compile again
    stamp = built[0].stat().st_mtime_ns
    code = (
        "import ctypes, sys; from pathlib import Path; from snn_core import native;"
        f"lib = native.load_library({name!r}, [Path({str(source)!r})]);"
        "lib.add.restype = ctypes.c_double; lib.add.argtypes = [ctypes.c_double] * 2; print(lib.add(2.0, 3.0))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.strip() == "5.0"
    assert built[0].stat().st_mtime_ns == stamp and len(list(cache.glob("*.so"))) == 1


@needs_compiler
def test_several_sources_make_one_library(tmp_path, cache):
    a = write(tmp_path, "double add(double a, double b) { return a + b; }", "a.c")
    b = write(tmp_path, "int answer(void) { return 42; }", "b.c")
    lib = native.load_library(next(_names), [a, b], declare_add)
    assert lib.add(1.0, 1.0) == 2.0 and lib.answer() == 42


@needs_compiler
def test_source_change_builds_a_new_library(tmp_path, cache):
    source = write(tmp_path, "int version(void) { return 1; }")
    first = native.load_library(next(_names), [source])
    source.write_text("int version(void) { return 2; }")
    second = native.load_library(next(_names), [source])
    assert (first.version(), second.version()) == (1, 2)


@needs_compiler
def test_compile_error_is_reported_not_raised(tmp_path, cache):
    source = write(tmp_path, "int broken(void) { return undefined_name; }")
    name = next(_names)
    assert native.load_library(name, [source]) is None
    assert "undefined_name" in native.build_error(name)
    assert not list(cache.glob("*.so"))  # no half-written file is left behind


@needs_compiler
def test_missing_symbol_in_declare_is_a_failed_build(tmp_path, cache):
    source = write(tmp_path, "int other(void) { return 1; }")
    name = next(_names)
    assert native.load_library(name, [source], declare_add) is None
    assert "add" in native.build_error(name)


def test_no_compiler(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(native, "_compiler", lambda: None)
    name = next(_names)
    assert native.load_library(name, [write(tmp_path, "int f(void) { return 0; }")]) is None
    assert "no C compiler" in native.build_error(name)


def test_disabled_by_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(native, "_DISABLED", True)
    name = next(_names)
    assert native.load_library(name, [write(tmp_path, "int f(void) { return 0; }")]) is None
    assert "SNN_DISABLE_NATIVE" in native.build_error(name)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_CACHE_DIR", str(tmp_path / "x"))
    assert native.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("SNN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert native.cache_dir() == tmp_path / "xdg" / "snn"


@needs_compiler
def test_refused_tuned_flags_fall_back_to_portable_ones(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(native, "TUNED_FLAGS", ("-fno-such-flag-for-snn",))
    lib = native.load_library(next(_names), [write(tmp_path, "int f(void) { return 7; }")])
    assert lib is not None and lib.f() == 7


@needs_compiler
def test_one_file_in_parts_with_their_own_flags(tmp_path, cache):
    source = write(
        tmp_path,
        "#define CAT(a, b) a##b\n#define NAME(p) CAT(part, p)\nint NAME(PART)(void) { return PART; }",
    )
    name = next(_names)
    lib = native.load_library(name, [(source, ["-DPART=1"]), (source, ["-DPART=2"])])
    assert (lib.part1(), lib.part2()) == (1, 2)
    # other flags for a part are another library
    other = native.load_library(next(_names), [(source, ["-DPART=3"])])
    assert other.part3() == 3 and len(list(cache.glob("*.so"))) == 2
