"""The console's logic in plain Python: users and access, the links and templates tables,
the payments report, timezones and QR codes. Nothing here imports Streamlit, so all of it
is unit-tested directly."""
