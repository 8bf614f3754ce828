"""The customer on a link and void links in the console's records: stored by link, read
only with the link's team, found and erased for good; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from linksplus.workspace import Workspace
from linksplus.workspace import customers as cust
from linksplus.workspace.customers import Customer, customer_errors

SOMSAK = Customer(name="Khun Somsak", phone="+66 81 234 5678", email="somsak@example.com")


def test_a_customer_is_stored_by_link_and_read_only_with_its_team(db_url):
    ws = Workspace(db_url)
    cust.save_customer(ws, 7, 101, SOMSAK, "Sales")
    cust.save_customer(ws, 8, 102, Customer(name="Khun Malee", line="@malee"), "manager")
    again = Workspace(db_url)  # another process
    assert cust.customer_of(again, 7, 101) == SOMSAK
    assert cust.customer_of(again, 7, 102) is None  # another team asks: nothing
    frame = cust.customers_frame(again, 101)
    assert list(frame["link_id"]) == [7] and list(frame["name"]) == ["Khun Somsak"]
    assert list(cust.customers_frame(again, 102)["line"]) == ["@malee"]
    # Saved again: replaced, not added; an empty customer removes it.
    cust.save_customer(ws, 7, 101, Customer(name="Khun Somsak J."), "sales")
    assert cust.customer_of(ws, 7, 101) == Customer(name="Khun Somsak J.")
    cust.save_customer(ws, 7, 101, Customer(), "sales")
    assert cust.customer_of(ws, 7, 101) is None


def test_an_admin_finds_a_customer_by_name_email_or_phone_and_erases_every_copy(db_url):
    ws = Workspace(db_url)
    cust.save_customer(ws, 1, 101, SOMSAK, "sales")
    cust.save_customer(ws, 2, 102, Customer(email="SOMSAK@example.com"), "manager")
    cust.save_customer(ws, 3, 101, Customer(name="Khun Malee", phone="0812345678"), "sales")
    assert list(cust.find_customers(ws, "somsak")["link_id"]) == [1, 2]
    assert list(cust.find_customers(ws, "081234")["link_id"]) == [3]
    assert list(cust.find_customers(ws, "100%")["link_id"]) == []  # % is a character
    assert cust.find_customers(ws, "s").empty  # one letter lists no one
    assert cust.erase_customers(ws, [1, 2]) == 2
    assert cust.find_customers(ws, "somsak").empty
    assert cust.customer_of(ws, 1, 101) is None
    engine = create_engine(db_url)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT name, email FROM ws_customers")).all()
    engine.dispose()
    assert [tuple(r) for r in left] == [("Khun Malee", None)]  # no copy of the erased


def test_a_link_is_voided_by_someone_for_a_reason_and_can_be_unvoided(db_url):
    ws = Workspace(db_url)
    cust.void_link(ws, 5, 101, "Sales", "  wrong amount ")
    void = cust.void_of(ws, 5, 101)
    assert void is not None and void.voided_by == "sales" and void.reason == "wrong amount"
    assert void.voided_at.tzinfo is not None
    assert cust.void_of(ws, 5, 102) is None  # another team's question
    assert cust.voided_ids(ws, 101) == {5} and cust.voided_ids(ws, 102) == set()
    assert cust.voided_ids(ws, link_ids=[4, 5]) == {5}
    assert not cust.unvoid_link(ws, 5, 102)  # another team cannot un-void it
    assert cust.unvoid_link(ws, 5, 101)
    assert cust.void_of(ws, 5) is None and cust.voided_ids(ws) == set()


def test_customer_fields_get_one_clear_sentence_each():
    assert customer_errors(SOMSAK) == {}
    assert customer_errors(Customer(phone="(02) 123-4567", email="a.b+c@mail.co.th")) == {}
    errors = customer_errors(
        Customer(name="x" * 201, phone="081-CALL-ME", email="somsak at example", line="y" * 201)
    )
    assert errors["name"] == "Keep this to at most 200 characters."
    assert errors["line"] == "Keep this to at most 200 characters."
    assert "only digits, spaces and dashes" in errors["phone"]
    assert "somsak@example.com" in errors["email"]
    assert customer_errors(Customer(phone="12345")) == {
        "phone": "The customer's phone needs 6 to 15 digits."
    }
    assert "phone" in customer_errors(Customer(phone="66+812345678"))
    assert Customer.of(name="  ", phone=" 0812345678 ", email=None) == Customer(phone="0812345678")


def test_a_bulk_rows_customer_waits_for_its_link_and_can_be_erased_meanwhile(db_url):
    ws = Workspace(db_url)
    cust.save_row_customers(ws, "up1", 101, {2: SOMSAK, 3: Customer(name="Khun Malee")})
    assert cust.row_customers(ws, "up1") == {2: SOMSAK, 3: Customer(name="Khun Malee")}
    cust.move_row_customer(ws, "up1", 2, 77, 101, "sales")  # row 2's link is made
    assert cust.customer_of(ws, 77, 101) == SOMSAK
    assert cust.row_customers(ws, "up1") == {3: Customer(name="Khun Malee")}
    found = cust.find_customers(ws, "malee")
    assert list(found["upload_id"]) == ["up1"] and list(found["row_no"]) == [3]
    assert cust.erase_customers(ws, [], [("up1", 3)]) == 1
    assert cust.row_customers(ws, "up1") == {}
