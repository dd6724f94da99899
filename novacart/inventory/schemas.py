"""Inventory input and output shapes."""

from marshmallow import Schema, fields, validate

from novacart.pagination import PageArgsSchema, page_schema
from novacart.schemas import ChangesSchema, JsonBoolean

MAX_STOCK = 1_000_000
MAX_PRICE = 100_000_000  # one million in cents
SKU_PATTERN = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="Letters, digits, dot, dash, underscore.")


class ProductSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    description = fields.String()
    category = fields.String()
    price_cents = fields.Integer()
    stock = fields.Integer()
    low_stock_threshold = fields.Integer()
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


ProductPageSchema = page_schema(ProductSchema, "ProductPage")


class ProductQueryArgsSchema(PageArgsSchema):
    category = fields.String(validate=validate.Length(min=1, max=80))
    q = fields.String(validate=validate.Length(min=1, max=200))
    in_stock = fields.Boolean()
    include_inactive = fields.Boolean(
        load_default=False, metadata={"description": "Staff and admins only: also list deactivated products."}
    )


class ProductCreateSchema(Schema):
    sku = fields.String(required=True, validate=SKU_PATTERN)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(required=True, validate=validate.Length(min=1, max=80))
    price_cents = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_PRICE))
    stock = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_STOCK))
    low_stock_threshold = fields.Integer(load_default=5, strict=True, validate=validate.Range(min=0, max=MAX_STOCK))


class ProductUpdateSchema(ChangesSchema):
    """Partial update; stock changes only through the stock endpoint, which records a reason."""

    sku = fields.String(validate=SKU_PATTERN)
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    category = fields.String(validate=validate.Length(min=1, max=80))
    price_cents = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PRICE))
    low_stock_threshold = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_STOCK))
    is_active = JsonBoolean()


class StockAdjustmentSchema(Schema):
    delta = fields.Integer(
        required=True,
        strict=True,
        validate=[
            validate.Range(min=-MAX_STOCK, max=MAX_STOCK),
            validate.NoneOf([0], error="Must not be 0."),
        ],
        metadata={
            "not": {"enum": [0]},
            "description": "Added to the stock; never 0, and never below 0 in total (409).",
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StockMovementSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    delta = fields.Integer()
    stock_after = fields.Integer()
    reason = fields.String()
    actor_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


StockMovementPageSchema = page_schema(StockMovementSchema, "StockMovementPage")


class WaitlistEntrySchema(Schema):
    product_id = fields.Integer()
    user_id = fields.Integer()
    created_at = fields.DateTime()


class ReviewCreateSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ReviewSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    user_id = fields.Integer()
    rating = fields.Integer()
    body = fields.String()
    created_at = fields.DateTime()


ReviewPageSchema = page_schema(ReviewSchema, "ReviewPage")
