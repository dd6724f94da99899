"""Inventory use cases: the catalogue, stock with its audit trail, the waitlist and reviews."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from novacart import events
from novacart.auth import services as auth_services
from novacart.db import transactional, utcnow
from novacart.errors import ConflictError, ErrorCode, NotFoundError
from novacart.extensions import db
from novacart.inventory import events as inventory_events
from novacart.inventory.models import Product, Review, StockMovement, WaitlistEntry
from novacart.pagination import Page, paginate

logger = logging.getLogger(__name__)


class InsufficientStockError(ConflictError):
    code, title = ErrorCode.INSUFFICIENT_STOCK, "Not enough stock"


class DuplicateSkuError(ConflictError):
    code, title = ErrorCode.DUPLICATE_SKU, "SKU already in use"


class DuplicateReviewError(ConflictError):
    code, title = ErrorCode.DUPLICATE_REVIEW, "Already reviewed"


class ProductUnavailableError(ConflictError):
    code, title = ErrorCode.PRODUCT_UNAVAILABLE, "Product unavailable"


def list_products(
    *,
    limit: int,
    after_id: int | None,
    category: str | None = None,
    q: str | None = None,
    in_stock: bool | None = None,
    include_inactive: bool = False,
) -> Page:
    stmt = select(Product)
    if not include_inactive:
        stmt = stmt.where(Product.is_active.is_(True))
    if category:
        stmt = stmt.where(func.lower(Product.category) == category.lower())
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.description).like(pattern, escape="\\"),
                func.lower(Product.sku).like(pattern, escape="\\"),
            )
        )
    if in_stock is True:
        stmt = stmt.where(Product.stock > 0)
    elif in_stock is False:
        stmt = stmt.where(Product.stock == 0)
    return paginate(stmt, Product.id, limit=limit, after_id=after_id)


def get_product(product_id: int, *, include_inactive: bool = False) -> Product:
    """Raises NotFoundError, also for a deactivated product unless `include_inactive`."""
    product = db.session.get(Product, product_id)
    if product is None or (not product.is_active and not include_inactive):
        raise NotFoundError(_l("Product %(id)s does not exist.", id=product_id))
    return product


def _sku_taken(sku: str, except_id: int | None = None) -> bool:
    stmt = select(Product.id).where(func.lower(Product.sku) == sku.lower())
    if except_id is not None:
        stmt = stmt.where(Product.id != except_id)
    return db.session.scalar(stmt) is not None


@transactional
def create_product(actor_id: int, data: dict[str, Any]) -> Product:
    """Add a product to the catalogue, recording its opening stock. Raises DuplicateSkuError."""
    if _sku_taken(data["sku"]):
        raise DuplicateSkuError(_l("SKU %(sku)s is already in use.", sku=data["sku"]))
    stock = data.pop("stock", 0)
    product = Product(**data, stock=stock)
    db.session.add(product)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent create took the SKU between check and insert
        raise DuplicateSkuError(_l("SKU %(sku)s is already in use.", sku=data["sku"])) from exc
    if stock:
        db.session.add(
            StockMovement(
                product_id=product.id, delta=stock, stock_after=stock, reason="opening stock", actor_id=actor_id
            )
        )
    logger.info("user %s created product %s", actor_id, product.id)
    return product


@transactional
def update_product(actor_id: int, product_id: int, changes: dict[str, Any]) -> Product:
    """Change a product's details (not its stock). Raises NotFoundError, DuplicateSkuError."""
    product = get_product(product_id, include_inactive=True)
    if "sku" in changes and _sku_taken(changes["sku"], except_id=product.id):
        raise DuplicateSkuError(_l("SKU %(sku)s is already in use.", sku=changes["sku"]))
    previous_stock_state = product.stock
    old_threshold = product.low_stock_threshold
    for key, value in changes.items():
        setattr(product, key, value)
    db.session.flush()
    if "low_stock_threshold" in changes and old_threshold < previous_stock_state <= product.low_stock_threshold:
        events.publish(inventory_events.STOCK_LOW, inventory_events.stock_payload(product, previous_stock_state))
    return product


@transactional
def deactivate_product(actor_id: int, product_id: int) -> None:
    """Hide a product from the shop; orders keep their lines and history. Raises NotFoundError."""
    product = get_product(product_id, include_inactive=True)
    product.is_active = False
    logger.info("user %s deactivated product %s", actor_id, product.id)


def change_stock(
    product_id: int,
    delta: int,
    reason: str,
    *,
    actor_id: int | None = None,
    order_id: int | None = None,
    require_active: bool = False,
) -> int:
    """Add `delta` to a product's stock atomically, record the movement, and publish what it crossed.

    A single conditional UPDATE, so concurrent orders can never take stock below 0 on SQLite or
    PostgreSQL. Returns the new stock. Raises InsufficientStockError, NotFoundError,
    ProductUnavailableError. Caller commits.
    """
    conditions = [Product.id == product_id, Product.stock + delta >= 0]
    if require_active:
        conditions.append(Product.is_active.is_(True))
    stmt = (
        update(Product)
        .where(*conditions)
        .values(stock=Product.stock + delta, updated_at=utcnow())
        .returning(Product.stock)
        .execution_options(synchronize_session=False)
    )
    new_stock = db.session.execute(stmt).scalar_one_or_none()
    if new_stock is None:
        # Read the row again: this session may hold it from before a concurrent change (a deactivation)
        # that made the UPDATE match nothing, and the answer must name that change.
        product = db.session.get(Product, product_id, populate_existing=True)
        if product is None:
            raise NotFoundError(_l("Product %(id)s does not exist.", id=product_id))
        if require_active and not product.is_active:
            raise ProductUnavailableError(_l("%(name)s is no longer sold.", name=product.name), product_id=product_id)
        raise InsufficientStockError(
            lazy_ngettext(
                "Only %(num)s of %(name)s left.", "Only %(num)s of %(name)s left.", product.stock, name=product.name
            ),
            product_id=product_id,
            available=product.stock,
        )
    previous = new_stock - delta
    db.session.add(
        StockMovement(
            product_id=product_id,
            delta=delta,
            stock_after=new_stock,
            reason=reason,
            actor_id=actor_id,
            order_id=order_id,
        )
    )
    product = db.session.get(Product, product_id)
    db.session.refresh(product)
    if delta < 0 and previous > product.low_stock_threshold >= new_stock:
        events.publish(inventory_events.STOCK_LOW, inventory_events.stock_payload(product, previous))
    if previous == 0 and new_stock > 0:
        _fulfil_waitlist(product, previous)
    return new_stock


def _fulfil_waitlist(product: Product, previous_stock: int) -> None:
    """Publish back-in-stock and mark every waiting entry fulfilled by that event. Caller commits."""
    event_id = events.publish(inventory_events.BACK_IN_STOCK, inventory_events.stock_payload(product, previous_stock))
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.product_id == product.id, WaitlistEntry.fulfilled_at.is_(None))
        .values(fulfilled_at=utcnow(), fulfilled_event_id=event_id)
        .execution_options(synchronize_session=False)
    )


@transactional
def adjust_stock(actor_id: int, product_id: int, delta: int, reason: str) -> Product:
    """Add or remove stock by hand with a reason. Raises NotFoundError, InsufficientStockError (below 0)."""
    get_product(product_id, include_inactive=True)
    change_stock(product_id, delta, reason, actor_id=actor_id)
    return get_product(product_id, include_inactive=True)


def list_stock_movements(product_id: int, *, limit: int, after_id: int | None) -> Page:
    get_product(product_id, include_inactive=True)
    stmt = select(StockMovement).where(StockMovement.product_id == product_id)
    return paginate(stmt, StockMovement.id, limit=limit, after_id=after_id, newest_first=True)


def waitlisted_user_ids(event_id: int) -> list[int]:
    """The users whose waitlist entries the back-in-stock event `event_id` fulfilled."""
    stmt = select(WaitlistEntry.user_id).where(WaitlistEntry.fulfilled_event_id == event_id)
    return list(db.session.scalars(stmt.order_by(WaitlistEntry.id)))


def waitlist_size(product_id: int) -> int:
    stmt = select(func.count()).where(WaitlistEntry.product_id == product_id, WaitlistEntry.fulfilled_at.is_(None))
    return db.session.scalar(stmt) or 0


@transactional
def join_waitlist(user_id: int, product_id: int) -> WaitlistEntry:
    """Ask to be told when a product is back in stock. Idempotent. Raises NotFoundError."""
    get_product(product_id)
    entry = db.session.scalar(
        select(WaitlistEntry).where(WaitlistEntry.product_id == product_id, WaitlistEntry.user_id == user_id)
    )
    if entry is None:
        entry = WaitlistEntry(product_id=product_id, user_id=user_id)
        db.session.add(entry)
    elif entry.fulfilled_at is not None:
        entry.fulfilled_at, entry.fulfilled_event_id, entry.created_at = None, None, utcnow()
    db.session.flush()
    return entry


@transactional
def leave_waitlist(user_id: int, product_id: int) -> None:
    """Stop waiting for a product. Idempotent. Raises NotFoundError for an unknown product."""
    get_product(product_id, include_inactive=True)
    entry = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.product_id == product_id,
            WaitlistEntry.user_id == user_id,
            WaitlistEntry.fulfilled_at.is_(None),
        )
    )
    if entry is not None:
        db.session.delete(entry)


@transactional
def post_review(user_id: int, product_id: int, rating: int, body: str) -> Review:
    """Review a product, once per customer. Raises NotFoundError, DuplicateReviewError."""
    product = get_product(product_id)
    exists = db.session.scalar(select(Review.id).where(Review.product_id == product_id, Review.user_id == user_id))
    if exists is not None:
        raise DuplicateReviewError(_l("You have already reviewed this product."))
    review = Review(product_id=product_id, user_id=user_id, rating=rating, body=body.strip())
    db.session.add(review)
    db.session.flush()
    author = auth_services.get_user(user_id)
    events.publish(inventory_events.REVIEW_POSTED, inventory_events.review_payload(review, product, author.name))
    return review


def list_reviews(product_id: int, *, limit: int, after_id: int | None) -> Page:
    get_product(product_id)
    stmt = select(Review).where(Review.product_id == product_id)
    return paginate(stmt, Review.id, limit=limit, after_id=after_id, newest_first=True)
