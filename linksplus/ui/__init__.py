"""The console's Streamlit layer: settings, cached loaders, login, navigation and widgets.

The only part of `linksplus` that imports Streamlit; the logic it shows lives in
`linksplus.console`.
"""
