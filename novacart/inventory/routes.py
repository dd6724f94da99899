"""Inventory API: /api/products/*."""

from __future__ import annotations

from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

from novacart.auth.models import User
from novacart.auth.security import CUSTOMERS, EMPLOYEES, auth_required, get_current_user
from novacart.errors import ApiBlueprint
from novacart.inventory import services
from novacart.inventory.models import Product, Review, WaitlistEntry
from novacart.inventory.schemas import (
    ProductCreateSchema,
    ProductPageSchema,
    ProductQueryArgsSchema,
    ProductSchema,
    ProductUpdateSchema,
    ReviewCreateSchema,
    ReviewPageSchema,
    ReviewSchema,
    StockAdjustmentSchema,
    StockMovementPageSchema,
    WaitlistEntrySchema,
)
from novacart.pagination import Page, PageArgsSchema

api_bp = ApiBlueprint(
    "inventory_api", __name__, url_prefix="/api/products", description="Products, stock, waitlist, reviews"
)


def _optional_user() -> User | None:
    verify_jwt_in_request(optional=True)
    return get_current_user() if get_jwt_identity() else None


def _is_employee() -> bool:
    user = _optional_user()
    return bool(user and user.is_employee)


@api_bp.route("", methods=["GET"])
@api_bp.arguments(ProductQueryArgsSchema(), location="query")
@api_bp.response(200, ProductPageSchema)
def list_products(args: dict) -> Page:
    """List products (active ones; staff may add `include_inactive=true`), filtered and paginated."""
    include_inactive = args.pop("include_inactive") and _is_employee()
    return services.list_products(include_inactive=include_inactive, **args)


@api_bp.route("", methods=["POST"])
@auth_required(EMPLOYEES)
@api_bp.arguments(ProductCreateSchema())
@api_bp.response(201, ProductSchema)
@api_bp.alt_response(409, description="SKU already in use")
def create_product(payload: dict) -> Product:
    """Add a product to the catalogue."""
    return services.create_product(get_current_user().id, payload)


@api_bp.route("/<int:product_id>", methods=["GET"])
@api_bp.response(200, ProductSchema)
def get_product(product_id: int) -> Product:
    """One product (deactivated ones only for staff)."""
    return services.get_product(product_id, include_inactive=_is_employee())


@api_bp.route("/<int:product_id>", methods=["PATCH"])
@auth_required(EMPLOYEES)
@api_bp.arguments(ProductUpdateSchema())
@api_bp.response(200, ProductSchema)
def update_product(payload: dict, product_id: int) -> Product:
    """Change some of a product's fields; stock changes go through the stock endpoint."""
    return services.update_product(get_current_user().id, product_id, payload)


@api_bp.route("/<int:product_id>", methods=["DELETE"])
@auth_required(EMPLOYEES)
@api_bp.response(204)
def delete_product(product_id: int) -> None:
    """Deactivate a product (a soft delete: orders keep their history)."""
    services.deactivate_product(get_current_user().id, product_id)


@api_bp.route("/<int:product_id>/stock", methods=["POST"])
@auth_required(EMPLOYEES)
@api_bp.arguments(StockAdjustmentSchema())
@api_bp.response(200, ProductSchema)
@api_bp.alt_response(409, description="Stock would fall below 0")
def adjust_stock(payload: dict, product_id: int) -> Product:
    """Add (positive `delta`) or remove stock, with a reason recorded in the product's stock history."""
    return services.adjust_stock(get_current_user().id, product_id, payload["delta"], payload["reason"])


@api_bp.route("/<int:product_id>/stock", methods=["GET"])
@auth_required(EMPLOYEES)
@api_bp.arguments(PageArgsSchema(), location="query")
@api_bp.response(200, StockMovementPageSchema)
def stock_history(args: dict, product_id: int) -> Page:
    """The product's stock movements, newest first."""
    return services.list_stock_movements(product_id, **args)


@api_bp.route("/<int:product_id>/waitlist", methods=["POST"])
@auth_required(CUSTOMERS)
@api_bp.response(201, WaitlistEntrySchema)
def join_waitlist(product_id: int) -> WaitlistEntry:
    """Be notified once when this product is back in stock (idempotent)."""
    return services.join_waitlist(get_current_user().id, product_id)


@api_bp.route("/<int:product_id>/waitlist", methods=["DELETE"])
@auth_required(CUSTOMERS)
@api_bp.response(204)
def leave_waitlist(product_id: int) -> None:
    """Leave the back-in-stock waitlist."""
    services.leave_waitlist(get_current_user().id, product_id)


@api_bp.route("/<int:product_id>/reviews", methods=["POST"])
@auth_required(CUSTOMERS)
@api_bp.arguments(ReviewCreateSchema())
@api_bp.response(201, ReviewSchema)
@api_bp.alt_response(409, description="Already reviewed")
def post_review(payload: dict, product_id: int) -> Review:
    """Review a product (1–5 stars and a text), once per customer."""
    return services.post_review(get_current_user().id, product_id, payload["rating"], payload["body"])


@api_bp.route("/<int:product_id>/reviews", methods=["GET"])
@api_bp.arguments(PageArgsSchema(), location="query")
@api_bp.response(200, ReviewPageSchema)
def list_reviews(args: dict, product_id: int) -> Page:
    """A product's reviews, newest first."""
    return services.list_reviews(product_id, **args)
