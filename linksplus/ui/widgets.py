"""Shared widgets: error boxes, the setup page, money input, refresh button, the period
picker, the selected table row (`md_escape`, for showing what people typed inside
Markdown, is re-exported from `markdown`)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st
from babel.numbers import get_currency_name
from PIL import Image, ImageDraw

from linksplus.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    babel_locale,
    current_language,
    date_cells,
)
from linksplus.money import CURRENCIES, AmountError, parse_amount
from linksplus.ui import nav
from linksplus.ui.cached_reads import EventLogUnavailable
from linksplus.ui.markdown import md_escape
from linksplus.ui.messages import error_notice


def labels(options: Iterable[Any], show: Callable[[Any], str] = _) -> Callable[[Any], str]:
    """A widget's `format_func` that shows each option as `show` words it in this run's
    language. The words are settled now: Streamlit (and AppTest) may call the function
    again outside the script run, where the language is not known."""
    shown = {option: show(option) for option in options}
    return lambda option: shown.get(option, str(option))


def date_column(
    data: pd.DataFrame | pa.Table,
    column: str,
    label: str,
    *,
    year: bool = True,
    time: str | None = "HH:mm",
    tz: str | None = None,
) -> tuple[pd.DataFrame | pa.Table, Any]:
    """A table's date column in the reader's language: (the table to show, the column's
    config). English keeps Streamlit's datetime cells ("28 Nov 2026, 14:05"), which sort by
    time. Streamlit writes month names in English only, so other languages get text cells
    from Babel's month names ("28 พ.ย. 2569, 14:05", Buddhist era when set): they keep the
    order the app lists the rows in (newest first), but a click on the header sorts text."""
    if current_language() == DEFAULT_LANGUAGE:
        moment = "D MMM" + (" YYYY" if year else "") + (f", {time}" if time else "")
        return data, st.column_config.DatetimeColumn(label, format=moment, timezone=tz)
    config = st.column_config.TextColumn(label)
    if isinstance(data, pa.Table):
        at = data.schema.get_field_index(column)
        if at < 0:
            return data, config
        values = data.column(at).to_pandas()
    elif column in data:
        values = data[column]
    else:
        return data, config
    moments = pd.to_datetime(values)
    if tz is not None and getattr(moments.dt, "tz", None) is not None:
        moments = moments.dt.tz_convert(tz)
    cells = date_cells(moments, year=year, time=time)
    if isinstance(data, pa.Table):
        return data.set_column(at, column, pa.array(cells.tolist(), pa.string())), config
    data = data.copy()
    data[column] = cells.to_numpy()
    return data, config


def show_error(exc: BaseException, *, what: str = "") -> None:
    """An error as a sentence with the next step (written by `messages.error_notice`);
    never a traceback, never the key."""
    notice = error_notice(exc, what=what)
    box = st.warning if notice.level == "warning" else st.error
    box(notice.text, icon=notice.icon)


@cache
def app_icon() -> str:
    """The browser tab's icon as a ``data:`` URL, drawn once per process: two chain links on
    blue. A ``:material/...:`` icon would be fetched from Google Fonts (fails offline), an
    emoji needs a colour-emoji font, and an image object would be re-encoded every run."""
    size = 64
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=14, fill=(28, 87, 219, 255))
    for box in ((10, 22, 38, 42), (26, 22, 54, 42)):
        draw.rounded_rectangle(box, radius=10, outline=(255, 255, 255, 255), width=5)
    png = io.BytesIO()
    img.save(png, format="PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def nav_page(key: str) -> st.Page:
    """The navigation's page `key` (``users.CREATE``...), for `st.switch_page` and
    `st.page_link`: pages are made only in `nav.page`."""
    return nav.page(key)


def only_page(render: Callable[[], None], title: str, url_path: str) -> None:
    """Run `render` as the app's one and only page, with no navigation shown.

    For the runs before login (and the setup page): without a `st.navigation` call,
    Streamlit would list every file in pages/ in the sidebar, admin pages included.
    """
    st.navigation(
        [st.Page(render, title=title, url_path=url_path, default=True)], position="hidden"
    ).run()


def setup_page(problems: list[str]) -> None:
    """The page shown instead of the app while the configuration is incomplete."""
    st.title(":material/settings: " + _("Links+ Console needs setting up"))
    st.write(_("An admin has to finish the configuration before anyone can log in:"))
    for problem in problems:
        st.error(problem, icon=":material/build:")
    st.markdown(
        _(
            "Settings are read from `.streamlit/secrets.toml` (section `[linksplus]`, see "
            "`.streamlit/secrets.toml.example`) or from `LINKSPLUS_*` environment variables. "
            "Restart the app after changing them."
        )
    )


def field_error(message: str | None) -> None:
    """A validation message shown right under its field (escaped: it can quote what was
    typed)."""
    if message:
        st.markdown(f":red[:material/error: {md_escape(message)}]")


def money_hint(currency: str | None) -> str:
    if not currency or currency not in CURRENCIES:
        return _("Type the amount as you would write it, for example 1,250.50.")
    cur = CURRENCIES[currency]
    example = "1,250" if cur.exponent == 0 else "1,250.50"
    return _("In {currency} ({code}), for example {example}.").format(
        currency=currency_name(cur.code), code=cur.code.upper(), example=example
    )


def currency_name(code: str) -> str:
    """A currency's name in the current language ("Thai Baht", "บาท")."""
    return get_currency_name(code.upper(), locale=babel_locale())


def parse_money(text: str, currency: str | None) -> tuple[int | None, str | None]:
    """(minor units, None) for what a person typed, or (None, why not)."""
    if not text or not text.strip():
        return None, None
    if not currency:
        return None, _("Choose a currency first.")
    try:
        return parse_amount(text, currency), None
    except AmountError as exc:
        return None, str(exc)


def refresh_button(clear: Callable[[], None], *, key: str = "refresh") -> None:
    """A button that drops cached API data and reruns."""
    if st.button(
        _("Refresh"),
        icon=":material/refresh:",
        key=key,
        help=_("Load the latest links and templates from Links+"),
    ):
        clear()
        st.toast(_("Reloaded from Links+."), icon=":material/refresh:")


def eventlog_problem(exc: BaseException, *, what: str, retrying: bool = False) -> None:
    """Why something read from the event log is missing: the log's own sentence when it
    cannot be opened (`data.EventLogUnavailable`), else that `what` ("Payments") cannot be
    read right now; `retrying` for the parts that reload by themselves."""
    if isinstance(exc, EventLogUnavailable):
        st.info(str(exc), icon=":material/info:")
        return
    again = " " + _("This page tries again by itself.") if retrying else ""
    st.warning(
        _("{what} cannot be read right now ({error}).").format(what=what, error=type(exc).__name__)
        + again,
        icon=":material/cloud_off:",
    )


def selected_id(event: Any, id_at: Callable[[int], object], param: str) -> int | None:
    """The id of the table row the user selected (`event` is what `st.dataframe` answered,
    `id_at(i)` the id on row i), else the number in the URL's `param`; None when neither."""
    rows = event.selection.rows if event is not None else []
    if rows:
        return int(id_at(rows[0]))
    try:
        return int(st.query_params.get(param, ""))
    except ValueError:
        return None


# A period ending today: its words and how many days it spans (None: dates the user picks).
PERIODS = {
    "today": (N_("Today"), 1),
    "7": (N_("Last 7 days"), 7),
    "30": (N_("Last 30 days"), 30),
    "90": (N_("Last 90 days"), 90),
    "custom": (N_("Custom"), None),
}
DEFAULT_PERIOD = "30"


def period_picker(
    tz: str, *, key: str, dates_key: str, options: Iterable[str] = tuple(PERIODS)
) -> tuple[date, date]:
    """The first and last day (in `tz`) of the period picked among `options` (keys of
    PERIODS), the last 30 days unless another is picked. Custom dates start as the last 30
    days as well, so choosing Custom changes nothing until a date is. `key` and `dates_key`
    keep the choice and the dates in the session."""
    options = list(options)
    today = pd.Timestamp.now(tz=tz).date()
    # A row of its own: in a narrow column the last options ("Custom") were cut off.
    choice = (
        st.segmented_control(
            _("Period"),
            options,
            default=DEFAULT_PERIOD,
            key=key,
            format_func=labels(options, lambda k: _(PERIODS[k][0])),
        )
        or DEFAULT_PERIOD
    )
    days = PERIODS[choice][1]
    if days is not None:
        return today - timedelta(days=days - 1), today
    column, _rest = st.columns([2, 3])
    picked = column.date_input(
        _("Dates"),
        value=(today - timedelta(days=PERIODS[DEFAULT_PERIOD][1] - 1), today),
        key=dates_key,
        format="YYYY-MM-DD",
    )
    # While a range is being picked, only its first day is there.
    picked_days = [d for d in (picked if isinstance(picked, tuple | list) else [picked]) if d]
    return (min(picked_days), max(picked_days)) if picked_days else (today, today)
