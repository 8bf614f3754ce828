"""The Bulk create page: upload a CSV or Excel file, fix its rows in a preview table, create
the good rows' links with a progress bar, resume after anything, download the results.

Each upload is stored against its id (a hash of the file and the user), with every row's
outcome, so leaving the page, closing the tab or a crash loses nothing: opening the upload
again (the same file, or Your uploads) shows what is done and resumes the rest.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.console.bulk_run import CONCURRENCY, qr_zip, run_upload
from linksplus.console.bulk_sheet import (
    MAX_BYTES,
    MAX_ROWS,
    CheckedRow,
    SheetError,
    check_rows,
    created_frame,
    preview_frame,
    read_sheet,
    rows_from_frame,
    sample_csv,
)
from linksplus.console.csv_export import frame_csv
from linksplus.errors import LinksPlusError
from linksplus.i18n import N_, _, current_language, format_datetime, format_number, ngettext
from linksplus.ui import audit_trail, cached_reads, customer_view
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import md_escape, show_error
from linksplus.ui.workspace_data import WorkspaceUnavailable, forget_owners, workspace
from linksplus.workspace import Workspace, activity
from linksplus.workspace.customers import Customer, save_row_customers
from linksplus.workspace.store import DONE, FAILED, SENDING, UploadRow, upload_id_for

STATE_LABELS = {
    DONE: N_("made"),
    FAILED: N_("failed, waiting for Resume"),
    SENDING: N_("sent, unconfirmed"),
}


def render(ctx: PageContext) -> None:
    """The whole Bulk create page."""
    st.title(_("Bulk create from a spreadsheet"))
    st.caption(
        _(
            "Many links for **{team}** at once: one row per link, up to {n} rows. Rows with "
            "problems are left out until you fix them."
        ).format(team=md_escape(ctx.team_name), n=format_number(MAX_ROWS))
    )
    try:
        ws = workspace()
        templates = cached_reads.templates(ctx.team_id)
    except WorkspaceUnavailable as exc:
        st.error(str(exc), icon=":material/database:")
        st.stop()
    except LinksPlusError as exc:
        show_error(exc, what=_("The templates could not be loaded."))
        st.stop()
    if not templates:
        st.info(
            _(
                "This team has no templates yet; every link is made from one. Ask your "
                "manager to create one in the Links+ dashboard."
            ),
            icon=":material/dashboard_customize:",
        )
        return
    st.download_button(
        _("Download the sample file"),
        sample_csv(templates),
        file_name="links-sample.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=_(
            "Columns: name, amount, currency, template, multiple use, note. "
            "Currency and template may be left empty: the template's currency is used."
        ),
    )
    upload_id = _from_file(ctx) or _from_address(ctx, ws)
    _your_uploads(ctx, ws, upload_id)
    if upload_id is None:
        return
    if st.session_state.get("bulk_uid") == upload_id:
        _preview(ctx, ws, upload_id, templates)
    _outcome(ctx, ws, upload_id)


def _from_file(ctx: PageContext) -> str | None:
    """The uploaded file's upload id, its rows read into the session; None without a
    usable file (a bad file's sentence is shown)."""
    file = st.file_uploader(
        _("Your spreadsheet (.csv or .xlsx, up to {n} rows and 5 MB)").format(
            n=format_number(MAX_ROWS)
        ),
        type=["csv", "xlsx"],
        max_upload_size=MAX_BYTES // (1024 * 1024),  # the uploader says it, not 200 MB
        key=f"bulk_file_{st.session_state.get('bulk_file_v', 0)}",
    )
    if file is None:
        return None
    content = file.getvalue()
    upload_id = upload_id_for(content, ctx.user.username)
    s = st.session_state
    if s.get("bulk_uid") != upload_id:
        try:
            rows = read_sheet(file.name, content)
        except SheetError as exc:
            st.error(f"{md_escape(exc)} " + _("Nothing was created."), icon=":material/error:")
            return None
        s.update(bulk_uid=upload_id, bulk_rows=rows, bulk_name=file.name, bulk_v=0)
    st.query_params["upload"] = upload_id
    return upload_id


def _from_address(ctx: PageContext, ws: Workspace) -> str | None:
    """An upload named in the address (?upload=), if it is this user's."""
    wanted = st.query_params.get("upload")
    if not wanted:
        return None
    found = ws.upload(str(wanted), ctx.user.username)
    if found is None or found.team_id != ctx.team_id:
        st.info(_("That upload is not one of yours in this team."), icon=":material/block:")
        return None
    return found.upload_id


def _apply_edits(key: str) -> None:
    """The preview table's edits into the session's rows; the table is redrawn with each
    row's problems checked again."""
    s = st.session_state
    frame = pd.DataFrame([{"row": r.row_no, **r.values} for r in s["bulk_rows"]])
    for index, changes in s[key].get("edited_rows", {}).items():
        for column, value in changes.items():
            frame.loc[int(index), column] = "" if value is None else str(value)
    s["bulk_rows"] = rows_from_frame(frame)
    s["bulk_v"] = s.get("bulk_v", 0) + 1


def _preview(ctx: PageContext, ws: Workspace, upload_id: str, templates) -> None:
    """The rows read from the file, checked and editable, and the button creating the good
    ones not made yet."""
    s = st.session_state
    checked = check_rows(s["bulk_rows"], templates, account_country=ctx.settings.account_country)
    stored = {r.params.row_no: r for r in ws.upload_rows(upload_id, ctx.user.username)}
    _preview_table(checked, stored)
    good = [c.params for c in checked if c.params is not None]
    to_make = [p for p in good if stored.get(p.row_no) is None or stored[p.row_no].state != DONE]
    bad = [c for c in checked if c.params is None]
    st.markdown(_ready_line(len(good), len(to_make), len(bad)))
    if bad:
        _problems(bad)
    if st.button(
        ngettext("Create {n} link", "Create {n} links", len(to_make)).format(
            n=format_number(len(to_make))
        ),
        type="primary",
        icon=":material/playlist_add:",
        disabled=not to_make,
        key="bulk_create",
    ):
        ws.start_upload(
            upload_id,
            username=ctx.user.username,
            team_id=ctx.team_id,
            filename=s.get("bulk_name", "upload"),
            rows=to_make,
        )
        making = {p.row_no for p in to_make}
        save_row_customers(  # each row's customer, kept until its link is made
            ws,
            upload_id,
            ctx.team_id,
            {c.row_no: c.customer or Customer() for c in checked if c.row_no in making},
        )
        audit_trail.note(
            activity.BULK_UPLOAD, upload=upload_id, team=ctx.team_id, rows=len(to_make)
        )
        if _run(ctx, ws, upload_id):
            # The preview above was drawn before the run: redraw it as it now is. (Not
            # after a failure: Links+ failing would fail the redraw's loads too, hiding
            # what Resume is for.)
            st.rerun()


def _preview_table(checked: list[CheckedRow], stored: dict[int, UploadRow]) -> None:
    """The rows as an editable table with each row's status so far and its problems."""
    frame = preview_frame(checked)
    frame.insert(
        1,
        "status",
        [
            _(STATE_LABELS[stored[c.row_no].state])
            if c.row_no in stored and stored[c.row_no].state in STATE_LABELS
            else ""
            for c in checked
        ],
    )
    st.subheader(_("Check the rows"))
    st.caption(
        _(
            "Fix a row by editing its cell; its problems are checked again at once. Rows "
            "already made cannot change."
        )
    )
    key = f"bulk_editor_{st.session_state.get('bulk_v', 0)}"
    st.data_editor(
        frame,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=["row", "status", "problems"],
        on_change=_apply_edits,
        args=(key,),
        column_config={
            "row": st.column_config.NumberColumn(_("Row"), format="%d", width="small"),
            "status": st.column_config.TextColumn(_("Status"), width="small"),
            "problems": st.column_config.TextColumn(_("Problems"), width="large"),
        },
    )


def _ready_line(good: int, to_make: int, bad: int) -> str:
    """How many rows are ready, still to make, and left out for their problems (Markdown)."""
    ready = ngettext("**{n}** row is ready", "**{n}** rows are ready", good).format(
        n=format_number(good)
    )
    if good and not to_make:
        ready += _(", all of them made")
    elif to_make != good:
        ready += _(", **{n}** of them still to make").format(n=format_number(to_make))
    if bad:
        ready += ngettext(
            "; **{n}** has problems and is left out until fixed.",
            "; **{n}** have problems and are left out until fixed.",
            bad,
        ).format(n=format_number(bad))
    else:
        ready += "."
    return ready


def _problems(bad: list[CheckedRow]) -> None:
    """The first ten rows with problems, each with its problems."""
    st.warning(
        "\n".join(
            "- "
            + _("Row {row}: {problems}").format(
                row=c.row_no, problems=md_escape(" ".join(c.problems))
            )
            for c in bad[:10]
        )
        + (
            "\n- " + _("…and {n} more (see the table).").format(n=len(bad) - 10)
            if len(bad) > 10
            else ""
        ),
        icon=":material/rule:",
    )


def _run(ctx: PageContext, ws: Workspace, upload_id: str) -> bool:
    """Make the upload's waiting rows, with a progress bar; True when nothing failed."""
    bar = st.progress(0.0, text=_("Creating links…"))

    def progress(done: int, total: int) -> None:
        bar.progress(
            done / total if total else 1.0,
            text=_("{done} of {total} links made").format(
                done=format_number(done), total=format_number(total)
            ),
        )

    result = run_upload(
        ws,
        cached_reads.client(ctx.settings),
        upload_id,
        username=ctx.user.username,
        team_id=ctx.team_id,
        concurrency=CONCURRENCY,
        on_progress=progress,
    )
    audit_trail.note(activity.LINK_CREATED, how="bulk", upload=upload_id, done=result.done)
    cached_reads.clear_api_cache()
    forget_owners()  # the new links are in My links on the next page
    customer_view.forget()  # and their customers are searchable
    st.session_state["bulk_error"] = result.error
    return result.error is None


def _outcome(ctx: PageContext, ws: Workspace, upload_id: str) -> None:
    """What is made so far, Resume when rows wait, and the downloads."""
    rows = ws.upload_rows(upload_id, ctx.user.username)
    if not rows:
        return
    made = [r for r in rows if r.state == DONE]
    waiting = [r for r in rows if r.state != DONE]
    st.subheader(_("Made so far"))
    st.markdown(
        _("**{done}** of {total} links made.").format(
            done=format_number(len(made)), total=format_number(len(rows))
        )
    )
    if waiting:
        error = st.session_state.get("bulk_error")
        st.warning(
            ngettext("{n} row is waiting", "{n} rows are waiting", len(waiting)).format(
                n=format_number(len(waiting))
            )
            + (
                " " + _("(Links+ answered: {error})").format(error=md_escape(error))
                if error
                else ""
            )
            + ". "
            + _("Press Resume to make them: rows already made are not made again."),
            icon=":material/pause_circle:",
        )
        if st.button(_("Resume"), icon=":material/play_arrow:", key="bulk_resume"):
            _run(ctx, ws, upload_id)
            st.rerun()
    elif st.session_state.pop("bulk_error", "none") is None:
        st.success(
            _("All {n} links are made.").format(n=format_number(len(made))),
            icon=":material/check_circle:",
        )
    if made:
        c1, c2 = st.columns(2)
        c1.download_button(
            _("Download the links (CSV)"),
            frame_csv(created_frame(made), current_language()),
            file_name=f"links-upload-{upload_id[:8]}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click=audit_trail.exported("bulk links", team=ctx.team_id, upload=upload_id),
            key="bulk_csv",
        )
        c2.download_button(
            _("Download the QR codes (ZIP)"),
            lambda: qr_zip(made),
            file_name=f"qr-codes-upload-{upload_id[:8]}.zip",
            mime="application/zip",
            icon=":material/qr_code_2:",
            on_click="ignore",
            key="bulk_zip",
        )


def _your_uploads(ctx: PageContext, ws: Workspace, current: str | None) -> None:
    """This user's earlier uploads in this team, to open (and resume) again."""
    mine = [u for u in ws.uploads_of(ctx.user.username) if u.team_id == ctx.team_id]
    if not mine:
        return
    with st.expander(_("Your uploads ({n})").format(n=len(mine)), expanded=current is None):
        for u in mine[:20]:
            counts = ws.upload_counts(u.upload_id)
            done = counts.get(DONE, 0)
            left, right = st.columns([4, 1], vertical_alignment="center")
            when = format_datetime(pd.Timestamp(u.created_at).to_pydatetime(), ctx.tz)
            left.markdown(
                _("**{file}**, {when}: {done} of {total} made").format(
                    file=md_escape(u.filename),
                    when=when,
                    done=format_number(done),
                    total=format_number(u.rows),
                )
            )
            if right.button(
                _("Open") if done == u.rows else _("Open to resume"),
                key=f"bulk_open_{u.upload_id[:16]}",
                disabled=u.upload_id == current,
            ):
                st.query_params["upload"] = u.upload_id
                st.session_state.pop("bulk_uid", None)
                # A new uploader: the file shown before belongs to another upload.
                st.session_state["bulk_file_v"] = st.session_state.get("bulk_file_v", 0) + 1
                st.rerun()
