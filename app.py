"""Links+ Console: the entrypoint. Checks the setup, logs the user in, then offers the
pages of their role (`st.navigation`); each page lives in pages/ and its logic in linksplus."""

import streamlit as st

from linksplus.console.users import effective_role
from linksplus.i18n import _
from linksplus.ui import auth, language, my_links_view, nav, reminder_view, style
from linksplus.ui.observe import page_timer
from linksplus.ui.settings import current_settings, setup_problems
from linksplus.ui.widgets import app_icon, md_escape, only_page, setup_page

# A drawn icon, served by the app: a :material/...: favicon is fetched from Google Fonts.
st.set_page_config(page_title="Links+ Console", page_icon=app_icon(), layout="wide")
# Our own fixed CSS (nothing a user typed): the login cookie's components are invisible but
# each took a row of the page, and on a phone Streamlit's 6rem band above the content put
# ~170 px before the first heading. They take no space now (still on the page, so they
# run), and a narrow screen starts the content just under the header's sidebar button.
st.html(
    """<style>
.st-key-init, .st-key-login_cookie_set, .st-key-login_cookie_delete {
  position: absolute; width: 0; height: 0; overflow: hidden;
}
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }
}
</style>"""
)

# The browser's language before login (or the stored choice of a user logged in already).
language.apply(auth.logged_in_username())
settings = current_settings()
problems = setup_problems(settings)
if problems:
    only_page(lambda: setup_page(problems), _("Setup needed"), "setup")
    st.stop()

# A customer's unsubscribe address from a reminder (no login: the token is signed).
if st.query_params.get("unsubscribe"):
    only_page(lambda: reminder_view.unsubscribe_page(settings), _("No more reminders"), "stop")
    st.stop()

# Log in before st.navigation: a page opened by URL must already be in this user's list.
user = auth.require_login(settings)
language.apply(user.username)  # a login in this run: the user's stored language from now
style.apply_language_css()  # Streamlit's own English words, in the reader's language

page = st.navigation(nav.pages_for_user(user))

with st.sidebar:
    st.markdown(
        f"**{md_escape(user.name)}**  \n:gray[{nav.role_title(effective_role(user.roles))}]"
    )
    language.sidebar_switch(user.username)
    auth.logout_button()
    # A toast on any page when one of my links is paid; every few seconds once the login
    # cookie is settled (a timed rerun during its round trip lost it).
    my_links_view.paid_toasts(user, live=auth.cookie_settled())

with page_timer(page):
    page.run()
