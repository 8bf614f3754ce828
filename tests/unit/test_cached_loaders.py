"""A cached loader reads only its arguments and its declared dependencies: Streamlit's caches
are shared by every user, so anything else it read (the session, the settings, the
language, a module's changing state) would hand one user's answer to another."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import textwrap
import types
from pathlib import Path

import pytest
import streamlit as st

import linksplus.ui
from linksplus.config import Settings
from linksplus.i18n import _
from linksplus.ui import cached_reads
from linksplus.ui.cached import LOADERS, Loader, cached_loader
from linksplus.ui.settings import current_settings

UI = Path(linksplus.ui.__file__).parent
# Names a loader must not read: each reads the run (its user, settings or language).
FORBIDDEN = {
    "st": "Streamlit (the session, secrets, query)",
    "streamlit": "Streamlit (the session, secrets, query)",
    "os": "the environment",
    "current_settings": "the run's settings",
    "page_context": "the run's page context",
    "current_user": "the run's user",
    "_": "the run's language",
    "ngettext": "the run's language",
    "current_language": "the run's language",
}
FORBIDDEN_ATTRIBUTES = {"session_state", "secrets", "query_params", "environ", "context"}


def _is_constant(name: str) -> bool:
    return name.lstrip("_").isupper()


def _function_node(fn) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef), fn
    return node


def _bound_names(node: ast.AST) -> set[str]:
    """Names given a value inside `node`: arguments (its own, a lambda's, a nested
    function's), assignments, loop and comprehension targets, imports."""
    bound = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            bound.add(sub.id)
        elif isinstance(sub, ast.alias):
            bound.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.FunctionDef | ast.ClassDef | ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    return bound


def outside_reads(fn, seen: set | None = None) -> list[str]:
    """What `fn`'s body reads besides its arguments and locals, builtins, modules (other than
    Streamlit's and os), constants, classes and functions that do the same (functions of
    the app's UI and of `fn`'s own module are checked in turn); each as a sentence."""
    seen = set() if seen is None else seen
    if fn in seen:
        return []
    seen.add(fn)
    node = _function_node(fn)
    bound = _bound_names(node)
    where = f"{fn.__module__}.{fn.__qualname__}"
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"{where} reads .{sub.attr}")
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            found += _ui_module_read(where, sub, bound, fn, seen)
        if not isinstance(sub, ast.Name) or not isinstance(sub.ctx, ast.Load):
            continue
        name = sub.id
        if name in bound or (name not in fn.__globals__ and hasattr(builtins, name)):
            continue
        if name in FORBIDDEN:
            found.append(f"{where} reads {FORBIDDEN[name]} ({name})")
            continue
        if name not in fn.__globals__:
            found.append(f"{where} reads {name}, which is not defined")
            continue
        found += _global_read(where, name, fn.__globals__[name], fn.__module__, seen)
    return found


def _ui_module_read(where: str, sub: ast.Attribute, bound: set, fn, seen: set) -> list[str]:
    """What ``module.name`` reads, for a module of the app's UI (``cached_reads.eventlog()``)."""
    module = fn.__globals__.get(sub.value.id) if sub.value.id not in bound else None
    if not isinstance(module, types.ModuleType) or not module.__name__.startswith("linksplus.ui"):
        return []
    name = f"{sub.value.id}.{sub.attr}"
    return _global_read(where, sub.attr, getattr(module, sub.attr), module.__name__, seen, name)


def _global_read(
    where: str, name: str, value, module: str, seen: set, shown: str | None = None
) -> list[str]:
    shown = shown or name
    if isinstance(value, Loader):
        # One without dependencies reads only its arguments (its body is checked as well).
        if not value.depends_on:
            return []
        return [f"{where} calls the loader {shown}, which reads the run's settings"]
    if isinstance(value, types.ModuleType):
        top = value.__name__.split(".")[0]
        if top in ("streamlit", "os"):
            return [f"{where} reads the module {value.__name__}"]
        return []
    if inspect.isfunction(value):
        if value.__module__ == module or value.__module__.startswith("linksplus.ui"):
            return outside_reads(value, seen)
        return []
    if inspect.isclass(value) or callable(value) or _is_constant(name):
        return []
    return [f"{where} reads {shown}, a module's changing state"]


def _app_loaders() -> list[Loader]:
    for info in pkgutil.iter_modules([str(UI)]):
        importlib.import_module(f"linksplus.ui.{info.name}")
    return [loader for loader in LOADERS if loader.__module__.startswith("linksplus.")]


def test_every_cached_loader_reads_only_its_arguments_and_dependencies():
    loaders = _app_loaders()
    # Those of the event log and the API, the workspace and the two views that cache.
    modules = {loader.__module__ for loader in loaders}
    assert {
        "linksplus.ui.cached_reads",
        "linksplus.ui.workspace_data",
        "linksplus.ui.performance_view",
        "linksplus.ui.delivery_history_view",
    } <= modules
    found = [line for loader in loaders for line in outside_reads(loader.fn)]
    assert not found, "\n".join(found)


# auth.py keeps its own four caches (the users file by path and mtime, the throttle by URL)
# until its owner moves them onto `cached_loader`; each reads only its arguments.
CACHES_ELSEWHERE: set[str] = set()


def test_the_ui_caches_only_through_cached_loader():
    found = []
    for path in sorted(UI.glob("*.py")):
        if path.name in {"cached.py", *CACHES_ELSEWHERE}:
            continue
        for sub in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(sub, ast.Attribute) and sub.attr in ("cache_data", "cache_resource"):
                found.append(f"{path.name}:{sub.lineno} st.{sub.attr}")
    assert not found, "cache through linksplus.ui.cached.cached_loader:\n" + "\n".join(found)


# -- the check can fail ----------------------------------------------------------------------

teams_seen = {101: "Sales"}  # a module's changing state


def _reads_the_session(team_id):
    return st.session_state.get("team_id", team_id)


def _reads_the_settings(team_id):
    return current_settings().eventlog_url, team_id


def _reads_the_language(team_id):
    return _("Team {id}").format(id=team_id)


def _reads_module_state(team_id):
    return teams_seen.get(team_id)


def _helper(team_id):
    return teams_seen.get(team_id)


def _reads_through_a_helper(team_id):
    return _helper(team_id)


def _reads_through_a_ui_module(link_id):
    return cached_reads.eventlog().payments(link_ids=[link_id])


def _calls_another_loader(team_id):
    return cached_reads.templates(team_id)


def _reads_only_its_arguments(team_id, _client, *, source, eventlog_url):
    names = {t: f"Team {t}" for t in _client.teams(team_id) if t}
    log = cached_reads._open_eventlog(eventlog_url)  # a loader of its argument alone
    return sorted(names), source, cached_reads.TEAM_SCAN_LINKS, len(names), log


@pytest.mark.parametrize(
    ("fn", "said"),
    [
        (_reads_the_session, ".session_state"),
        (_reads_the_settings, "the run's settings"),
        (_reads_the_language, "the run's language"),
        (_reads_module_state, "teams_seen, a module's changing state"),
        (_reads_through_a_helper, "_helper reads teams_seen"),
        (_reads_through_a_ui_module, "eventlog reads the run's settings"),
        (_calls_another_loader, "calls the loader cached_reads.templates"),
    ],
)
def test_the_check_names_what_a_loader_reads_besides_its_arguments(fn, said):
    assert any(said in line for line in outside_reads(fn)), outside_reads(fn)


def test_the_check_lets_arguments_constants_and_pure_code_pass():
    assert outside_reads(_reads_only_its_arguments) == []


# -- the helper's behaviour ------------------------------------------------------------------


def _account(base_url: str, key: str) -> Settings:
    return Settings(api_base_url=base_url, api_key=key, eventlog_url="sqlite:///unused.db")


def test_two_accounts_or_two_teams_never_share_an_entry():
    calls = []

    @cached_loader(ttl=60, depends_on=(cached_reads.API_SOURCE,))
    def team_read(team_id: int, *, source: cached_reads.ApiSource) -> tuple:
        calls.append((team_id, source))
        return team_id, source

    team_read.clear()  # Streamlit keys a cache by the function's code: a rerun finds it
    accounts = [
        _account("https://a.example", "skey_one_0123456789"),
        _account("https://a.example", "skey_two_0123456789"),  # another key, same address
        _account("https://b.example", "skey_one_0123456789"),  # the same key elsewhere
    ]
    answers = {(team, i): team_read(team, s) for team in (101, 102) for i, s in enumerate(accounts)}
    assert len(calls) == 6 and len(set(answers.values())) == 6
    # Asked again, each is served from its own entry.
    assert {(team, i): team_read(team, s) for team, i in answers for s in [accounts[i]]} == answers
    assert len(calls) == 6
    # The key is in no part of the cache key, only its one-way fingerprint.
    assert not any("skey_" in repr(source) for _team, source in calls)


def test_omitted_settings_are_the_runs_and_numpy_ids_are_plain_ids(monkeypatch):
    import numpy as np

    import linksplus.ui.cached as cached

    calls = []

    @cached_loader(ttl=60, depends_on=(cached_reads.SANDBOX,))
    def sandbox_read(team_id: int, *, sandbox_url: str | None) -> tuple:
        calls.append((team_id, sandbox_url))
        return team_id, sandbox_url

    sandbox_read.clear()
    run = Settings(sandbox_url="http://sandbox.example")
    monkeypatch.setattr(cached, "current_settings", lambda: run)
    assert sandbox_read(7) == (7, "http://sandbox.example")
    assert sandbox_read(np.int64(7)) == (7, "http://sandbox.example")
    assert sandbox_read(7, Settings(sandbox_url=None)) == (7, None)
    assert calls == [(7, "http://sandbox.example"), (7, None)]
    sandbox_read.clear(7)
    sandbox_read(7)
    assert len(calls) == 3


def test_a_loader_must_declare_exactly_the_dependencies_it_takes():
    with pytest.raises(TypeError, match="must be exactly those of its dependencies"):

        @cached_loader(depends_on=(cached_reads.API_SOURCE,))
        def reads_a_url_it_does_not_declare(team_id: int, *, source, eventlog_url) -> None:
            pass

    with pytest.raises(TypeError, match="must be exactly those of its dependencies"):

        @cached_loader(depends_on=(cached_reads.EVENTLOG,))
        def forgets_its_handle(team_id: int, *, eventlog_url) -> None:
            pass
