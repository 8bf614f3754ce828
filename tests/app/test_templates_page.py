"""The Templates page and its way into Create link."""

from __future__ import annotations

from app_helpers import no_exception, texts


def test_templates_listed_and_used_for_a_link(make_app, sandbox):
    sandbox.seed_links(101, 5)
    templates = sandbox.client().list_templates(101)
    at = make_app("sales").run().switch_page("pages/templates.py").run()
    no_exception(at)
    assert sorted(at.dataframe[0].value["id"]) == sorted(t.id for t in templates)
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
    assert templates[0].id in list(at.dataframe[0].value["id"])
    assert all(templates[0].name.lower() in n.lower() for n in at.dataframe[0].value["name"])
