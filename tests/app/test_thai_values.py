"""Values the app words, not data, shown in Thai (issue 20, item 15): the Webhook log's
outcome and webhook cells, a template's language and payment methods, Settings' auth style
and event-log backend. The Thai walk (test_thai.py) lets lower-case words through as data,
so these are checked one by one."""

from __future__ import annotations

from app_helpers import no_exception, table_rows, texts
from streamlit.testing.v1 import AppTest

from linksplus.eventlog import EventLog

PAYLOAD = {
    "event": "payment.completed",
    "link_id": 1,
    "payment": {"id": "chrg_v", "amount": 5000, "currency": "thb", "status": "successful"},
    "timestamp": "2026-02-14T10:35:00Z",
}


def _thai(at: AppTest) -> AppTest:
    at.session_state["ui_language"] = "th"
    return at


def test_webhook_log_cells_are_worded_in_thai(make_app, sandbox, secrets):
    log = EventLog(secrets["eventlog_url"])
    log.record(PAYLOAD, remote="10.0.0.1 via system")
    log.record(PAYLOAD, remote="10.0.0.2 via dashboard")  # the same payment: a duplicate
    at = _thai(make_app("admin")).run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    table = table_rows(at, "deliveries_table")
    assert set(table["outcome"]) == {"รับแล้ว", "ซ้ำ"}, table
    assert sorted(table["address"]) == ["10.0.0.1", "10.0.0.2"]
    assert set(table["source"]) == {"ระบบ", "แดชบอร์ด"}, table
    assert "remote" not in table
    english = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    table = table_rows(english, "deliveries_table")
    assert set(table["outcome"]) == {"Accepted", "Duplicate"}
    assert set(table["source"]) == {"System", "Dashboard"}


def test_template_detail_names_language_and_payment_methods_in_thai(make_app, sandbox):
    sandbox.seed_links(101, 1)
    template = sandbox.client().list_templates(101)[0]
    at = _thai(make_app("sales", query={"team": "101", "template": str(template.id)}))
    at.run().switch_page("pages/templates.py")
    at.query_params["template"] = str(template.id)
    at.run()
    no_exception(at)
    facts = next(m.value for m in at.markdown if "**ภาษา:**" in m.value)
    language = {"en": "อังกฤษ", "th": "ไทย"}[template.language]
    assert f"**ภาษา:** {language}" in facts, facts  # not "en" / "th"
    methods = {"card": "บัตร", "promptpay": "PromptPay"}
    assert set(template.features) <= set(methods), template.features
    words = ", ".join(methods[f] for f in template.features)
    assert f"**คุณสมบัติ:** {words}" in facts, facts  # not "card, promptpay"


def test_settings_words_auth_style_and_backend_in_thai(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = _thai(make_app("admin")).run().switch_page("pages/settings.py").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["รูปแบบการยืนยันตัวตน"] == "คีย์ล้วน (raw)", metrics
    assert "SQLite" in texts(at) and "sqlite" not in texts(at)
