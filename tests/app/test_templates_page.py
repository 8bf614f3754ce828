"""The Templates page and its way into Create link."""

from __future__ import annotations

from app_helpers import no_exception, table_rows, texts

from linksplus.ui.widgets import md_escape


def test_templates_listed_and_used_for_a_link(make_app, sandbox):
    sandbox.seed_links(101, 5)
    templates = sandbox.client().list_templates(101)
    at = make_app("sales").run().switch_page("pages/templates.py").run()
    no_exception(at)
    assert sorted(table_rows(at, "templates_table")["id"]) == sorted(t.id for t in templates)
    chosen = templates[-1]
    at.query_params["template"] = str(chosen.id)
    at.run()
    assert chosen.name in texts(at)
    button = next(b for b in at.button if b.label == "Create a link from this template")
    button.click().run()
    no_exception(at)
    assert at.selectbox(key="cl_template").value == chosen.id


def test_text_filter(make_app, sandbox):
    sandbox.seed_links(101, 5)
    templates = sandbox.client().list_templates(101)
    at = make_app("manager").run().switch_page("pages/templates.py").run()
    at.text_input(key="tf_text").set_value(templates[0].name).run()
    assert templates[0].id in list(table_rows(at, "templates_table")["id"])
    assert all(
        templates[0].name.lower() in n.lower() for n in table_rows(at, "templates_table")["name"]
    )


def test_a_hostile_template_name_is_shown_as_text(make_app, sandbox):
    name = "![t](http://host/x.png)[Use this](https://evil.example)"
    team = "Sales :red[team] https://evil.example"
    sandbox.control("POST", "/teams", json={"id": 101, "name": team})
    template = sandbox.control("POST", "/teams/101/templates", json={"name": name}).json()
    at = make_app("sales", query={"template": str(template["id"])})
    at.run().switch_page("pages/templates.py").run()
    no_exception(at)
    assert at.subheader[0].value == md_escape(name)  # the detail's heading
    assert f"**{md_escape(team)}**" in texts(at)
    assert name not in texts(at) and "](http" not in texts(at)
    button = next(b for b in at.button if b.label == "Create a link from this template")
    button.click().run()
    no_exception(at)
    assert f"**{md_escape(name)}**" in texts(at)  # Create link's template box
    assert "](http" not in texts(at) and ":red[team]" not in texts(at)


def test_the_selected_row_opens_its_detail(make_app, sandbox):
    sandbox.seed_links(101, 5)
    names = {t.id: t.name for t in sandbox.client().list_templates(101)}
    at = make_app("sales", query={"template": "not-a-number"})
    at.run().switch_page("pages/templates.py").run()
    no_exception(at)
    assert not at.subheader  # nothing selected, and the URL names no template
    table = table_rows(at, "templates_table")
    chosen = int(table["id"].iloc[-1])
    at.session_state["templates_table"] = {"selection": {"rows": [len(table) - 1], "columns": []}}
    at.run()
    no_exception(at)
    assert at.subheader[0].value == md_escape(names[chosen])
    assert at.query_params["template"] == str(chosen)
