"""The language of a browser session: registered with `linksplus.i18n` so that every `_()`
(pages, fragments, core modules) translates into it, chosen in the sidebar and remembered
per user in the workspace (``ws_user_prefs``).

Before login the browser's language decides (``st.context.locale``); after login the user's
stored choice wins, and a user who never chose keeps the language the login page had.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from linksplus.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    _,
    language_from_browser,
    set_language_source,
)
from linksplus.ui.workspace_data import workspace
from linksplus.workspace import UserPrefs

LANGUAGE = "ui_language"  # session keys: the language and era of this session
ERA = "ui_buddhist_era"
_LOADED_FOR = "_ui_prefs_loaded_for"  # the user whose stored choice this session has read
_PICKER, _ERA_TOGGLE = "language_picker", "buddhist_era_toggle"
_LOGIN_PICKER = "login_language"
_CHOSEN = "_ui_language_chosen"  # picked on the login page: stored once the user is known


def session_language() -> tuple[str, bool] | None:
    """(language, Buddhist-era years) of the browser session running this code; None outside
    a script run (threads, the CLI, plain tests), where `linksplus.i18n`'s default decides."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    state = st.session_state
    language = state.get(LANGUAGE)
    if language is None:
        language = browser_language()
    return language, bool(state.get(ERA, False))


set_language_source(session_language)


def browser_language() -> str:
    """The browser's language when it is one of ours, else English."""
    try:
        locale = st.context.locale
    except Exception:  # no browser connection (bare mode)
        locale = None
    if not isinstance(locale, str) or not locale:
        try:
            locale = st.context.headers.get("Accept-Language")
        except Exception:
            locale = None
    return language_from_browser(locale if isinstance(locale, str) else None)


def apply(username: str | None) -> None:
    """Settle this run's language: the browser's before login (until the session chose),
    the user's stored choice once after login. Call before anything is drawn."""
    state = st.session_state
    if username is None:
        if state.get(_LOADED_FOR) is not None:  # logged out: back to the browser's language
            state.pop(_LOADED_FOR, None)
            state.pop(LANGUAGE, None)
            state.pop(ERA, None)
        if LANGUAGE not in state:
            state[LANGUAGE] = browser_language()
        return
    if state.get(_LOADED_FOR) == username:
        return
    state[_LOADED_FOR] = username
    try:
        prefs = workspace().user_prefs(username)
    except Exception:  # the records cannot be read: the session's language stays
        prefs = None
    if prefs is not None:
        state[LANGUAGE] = prefs.language if prefs.language in LANGUAGES else DEFAULT_LANGUAGE
        state[ERA] = prefs.buddhist_era
    elif state.pop(_CHOSEN, False) and LANGUAGE in state:
        _store(username)  # chosen on the login page: this user's choice from now on
    elif LANGUAGE not in state:
        state[LANGUAGE] = browser_language()


def _save(username: str) -> None:
    state = st.session_state
    changed = state.get(LANGUAGE) != state.get(_PICKER, DEFAULT_LANGUAGE)
    state[LANGUAGE] = state.get(_PICKER, DEFAULT_LANGUAGE)
    state[ERA] = bool(state.get(_ERA_TOGGLE, False))
    if changed:
        _resend_choices()
    _store(username)


def _plain_choice(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain_choice(v) for v in value)
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _resend_choices() -> None:
    """Have every widget with a chosen option send it again in the new language.

    A selectbox (multiselect, segmented control) tells the browser its choice as the
    option's words, and only when the value changes: after a switch the browser kept
    showing the old language's words ("Any currency") though the options were Thai.
    Setting a keyed widget's own value again makes Streamlit send it, worded anew. Only
    plain values (text, numbers, lists of them): a button's or an uploader's state cannot
    be set, and they have nothing to reword."""
    state = st.session_state
    for key in list(state.keys()):
        if key in (LANGUAGE, ERA, _PICKER, _ERA_TOGGLE) or key.startswith("_"):
            continue
        value = state[key]
        if _plain_choice(value):
            try:
                state[key] = value
            except Exception:  # a widget whose state Streamlit does not let us set
                continue


def _store(username: str) -> None:
    state = st.session_state
    state.setdefault(ERA, False)
    try:
        workspace().set_user_prefs(username, UserPrefs(state[LANGUAGE], state[ERA]))
    except Exception:  # kept for this session; the sidebar says it was not stored
        state["_ui_prefs_unsaved"] = True
    else:
        state.pop("_ui_prefs_unsaved", None)


def sidebar_switch(username: str) -> None:
    """The sidebar's language picker (English / ไทย) and Buddhist-era toggle; a change is
    stored for `username` at once."""
    state = st.session_state
    state[_PICKER] = state.get(LANGUAGE, DEFAULT_LANGUAGE)
    state[_ERA_TOGGLE] = bool(state.get(ERA, False))
    codes = list(LANGUAGES)
    st.sidebar.radio(
        _("Language"),
        codes,
        key=_PICKER,
        format_func=LANGUAGES.__getitem__,
        on_change=_save,
        args=(username,),
        horizontal=True,
    )
    st.sidebar.toggle(
        _("Buddhist-era years"),
        key=_ERA_TOGGLE,
        on_change=_save,
        args=(username,),
        help=_("Write years as Thai business documents do: 2569 for 2026."),
    )
    if state.get("_ui_prefs_unsaved"):
        st.sidebar.caption(_("Your choice could not be stored; it lasts until you log out."))


def _choose_before_login() -> None:
    st.session_state[LANGUAGE] = st.session_state.get(_LOGIN_PICKER, DEFAULT_LANGUAGE)
    st.session_state[_CHOSEN] = True


def login_switch() -> None:
    """The login page's language choice (English / ไทย), the browser's language until
    someone picks; kept for the user who then logs in, unless they chose before."""
    st.session_state[_LOGIN_PICKER] = st.session_state.get(LANGUAGE, DEFAULT_LANGUAGE)
    st.radio(
        _("Language"),
        list(LANGUAGES),
        key=_LOGIN_PICKER,
        format_func=LANGUAGES.__getitem__,
        on_change=_choose_before_login,
        horizontal=True,
        label_visibility="collapsed",
    )
