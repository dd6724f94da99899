"""Inventory: products with stock, thresholds and waitlists; create, edit, deactivate; stock with a reason."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from novacart.auth import services as auth_services
from novacart.dashboard.common import actor_id, back, cursor_for, form_errors, is_fetch, page_args, refused
from novacart.dashboard.forms import ActionForm, ProductCreateForm, ProductForm, StockAdjustForm
from novacart.errors import DomainError, problem
from novacart.inventory import services as inventory_services

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

AVAILABILITY = {"in": True, "out": False}


def stock_state(product) -> str:
    """How a row is marked: out (no stock), low (at or below its threshold) or ok."""
    if product.stock <= 0:
        return "out"
    if product.stock <= product.low_stock_threshold:
        return "low"
    return "ok"


def _filters() -> dict:
    availability = request.args.get("stock") or ""
    return {
        "q": (request.args.get("q") or "").strip()[:200],
        "category": (request.args.get("category") or "").strip()[:80],
        "stock": availability if availability in AVAILABILITY else "",
        "inactive": request.args.get("inactive") == "1",
    }


def _render_row(product):
    return render_template(
        "dashboard/inventory/_row.html",
        product=product,
        waitlist=inventory_services.waitlist_size(product.id),
        stock_state=stock_state,
    )


@bp.route("/")
def index():
    """Products (deactivated ones on request) with stock, threshold and waitlist; low and out marked."""
    filters = _filters()
    limit, after_id = page_args()
    page = inventory_services.list_products(
        limit=limit,
        after_id=after_id,
        category=filters["category"] or None,
        q=filters["q"] or None,
        in_stock=AVAILABILITY.get(filters["stock"]),
        include_inactive=filters["inactive"],
    )
    waitlists = {product.id: inventory_services.waitlist_size(product.id) for product in page.items}
    return render_template(
        "dashboard/inventory/index.html",
        products=page.items,
        waitlists=waitlists,
        next_cursor=page.next_cursor,
        filters=filters,
        stock_state=stock_state,
        cursor_for=cursor_for,
    )


@bp.route("/<int:product_id>/row")
def row(product_id: int):
    """One row of the product list, for live updates."""
    return _render_row(inventory_services.get_product(product_id, include_inactive=True))


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Add a product with its opening stock."""
    form = ProductCreateForm()
    status = 200
    if form.validate_on_submit():
        try:
            product = inventory_services.create_product(actor_id(), {**form.details(), "stock": form.stock.data})
        except inventory_services.DuplicateSkuError as error:
            form.sku.errors = [*form.sku.errors, error.detail]
            status = error.status
        else:
            flash(_("%(name)s was added.", name=product.name), "success")
            return redirect(url_for(".product", product_id=product.id))
    elif request.method == "POST":
        status = 422
    return render_template("dashboard/inventory/new.html", form=form), status


def _product_page(product, *, form=None, stock_form=None, status: int = 200):
    limit, after_id = page_args()
    movements = inventory_services.list_stock_movements(product.id, limit=limit, after_id=after_id)
    if form is None:
        form = ProductForm(
            formdata=None,
            data={
                "sku": product.sku,
                "name": product.name,
                "category": product.category,
                "description": product.description,
                "price": Decimal(product.price_cents) / 100,
                "low_stock_threshold": product.low_stock_threshold,
            },
        )
    return (
        render_template(
            "dashboard/inventory/product.html",
            product=product,
            form=form,
            stock_form=stock_form or StockAdjustForm(formdata=None),
            action_form=ActionForm(),
            waitlist=inventory_services.waitlist_size(product.id),
            movements=movements.items,
            next_cursor=movements.next_cursor,
            actors=auth_services.users_by_ids(m.actor_id for m in movements.items),
            stock_state=stock_state,
        ),
        status,
    )


@bp.route("/<int:product_id>", methods=["GET", "POST"])
def product(product_id: int):
    """A product: edit its details, adjust its stock, see its waitlist and stock history."""
    item = inventory_services.get_product(product_id, include_inactive=True)
    if request.method == "GET":
        return _product_page(item)
    form = ProductForm()
    if not form.validate():
        return _product_page(item, form=form, status=422)
    try:
        item = inventory_services.update_product(actor_id(), product_id, form.details())
    except inventory_services.DuplicateSkuError as error:
        form.sku.errors = [*form.sku.errors, error.detail]
        return _product_page(item, form=form, status=error.status)
    flash(_("%(name)s was saved.", name=item.name), "success")
    return redirect(url_for(".product", product_id=product_id))


@bp.route("/<int:product_id>/stock", methods=["POST"])
def adjust_stock(product_id: int):
    """Add or remove stock with a reason (never below 0)."""
    form = StockAdjustForm()
    if not form.validate():
        if is_fetch():
            return problem(422, "Validation failed", detail=form_errors(form))
        item = inventory_services.get_product(product_id, include_inactive=True)
        return _product_page(item, stock_form=form, status=422)
    try:
        item = inventory_services.adjust_stock(actor_id(), product_id, form.delta.data, form.reason.data)
    except DomainError as error:
        return refused(error, "dashboard.inventory.product", product_id=product_id)
    if is_fetch():
        return _render_row(item)
    flash(_("Stock of %(name)s is now %(stock)s.", name=item.name, stock=item.stock), "success")
    return back("dashboard.inventory.product", product_id=product_id)


@bp.route("/<int:product_id>/deactivate", methods=["POST"])
def deactivate(product_id: int):
    """Hide a product from the shop; its orders keep their lines and history."""
    try:
        inventory_services.deactivate_product(actor_id(), product_id)
    except DomainError as error:
        return refused(error, "dashboard.inventory.product", product_id=product_id)
    flash(_("The product is deactivated: hidden from the shop."), "success")
    return back("dashboard.inventory.product", product_id=product_id)


@bp.route("/<int:product_id>/reactivate", methods=["POST"])
def reactivate(product_id: int):
    """Put a deactivated product back on sale."""
    try:
        inventory_services.update_product(actor_id(), product_id, {"is_active": True})
    except DomainError as error:
        return refused(error, "dashboard.inventory.product", product_id=product_id)
    flash(_("The product is on sale again."), "success")
    return back("dashboard.inventory.product", product_id=product_id)
