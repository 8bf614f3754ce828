"""The table of webhook deliveries, shared by the Webhook log and a link's delivery history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.i18n import _
from linksplus.ui.widgets import date_column


def _columns() -> dict[str, object]:
    return {
        "outcome": _("Outcome"),
        "reason": _("Reason"),
        "event": _("Event"),
        "payment_id": _("Payment"),
        "link_id": st.column_config.NumberColumn(_("Link"), format="%d"),
        "source": _("Webhook"),
        "remote": _("From"),
        "address": _("From"),
    }


def deliveries_table(frame: pd.DataFrame, *, key: str, tz: str | None = None) -> None:
    """`frame`'s deliveries, newest first as given, with the time received (to the second,
    in `tz` when given) and whichever of the known columns it has, in the reader's
    language. `key` names the table's container (a display-only table has no key of its
    own in Streamlit)."""
    shown, received = date_column(frame, "received_at", _("Received"), time="HH:mm:ss", tz=tz)
    config = {name: label for name, label in _columns().items() if name in frame.columns}
    st.container(key=key).dataframe(
        shown, hide_index=True, column_config={"received_at": received, **config}
    )
