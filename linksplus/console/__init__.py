"""The console's logic in plain Python: users and access, the links table, the payments
reports and QR codes. Nothing here imports Streamlit, so all of it is unit-tested directly."""
