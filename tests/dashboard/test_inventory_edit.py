"""Editing a product on the dashboard to a SKU another product has."""

from __future__ import annotations

from tests.dashboard.conftest import submit
from tests.dashboard.test_views import field_block, page_text


def test_editing_a_product_to_a_taken_sku_says_so_next_to_the_sku_and_changes_nothing(sign_in, make_product):
    from novacart.extensions import db
    from novacart.inventory.models import Product

    make_product(sku="PAP-A4")
    product_id = make_product(sku="PAP-A5", name="A5 pad")
    _, client = sign_in("staff")
    page = f"/dashboard/inventory/{product_id}"
    data = {"sku": "pap-a4", "name": "A5 pad", "category": "paper", "price": "5.00", "low_stock_threshold": "2"}
    # when
    response = submit(client, page, data, form_page=page)
    # then
    assert response.status_code == 409
    assert "already in use" in field_block(page_text(response), "sku")
    db.session.expire_all()
    assert db.session.get(Product, product_id).sku == "PAP-A5"
