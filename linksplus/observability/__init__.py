"""Watching the product run: JSON or text logs with request ids (`logs`), the receiver's
Prometheus figures (`receiver_metrics`) and the app's (`app_metrics`).

Plain Python: nothing here imports Streamlit or the web framework; the app's timing of a
page run lives in `linksplus.ui.observe`, the receiver's endpoint in `webhooks.receiver`.
"""
