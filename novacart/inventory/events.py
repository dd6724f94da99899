"""Domain events published by inventory, with their payload builders."""

STOCK_LOW = "inventory.stock_low"
BACK_IN_STOCK = "inventory.back_in_stock"
REVIEW_POSTED = "inventory.review_posted"


def stock_payload(product, previous_stock: int) -> dict:
    return {
        "product_id": product.id,
        "sku": product.sku,
        "name": product.name,
        "stock": product.stock,
        "previous_stock": previous_stock,
        "low_stock_threshold": product.low_stock_threshold,
    }


def review_payload(review, product, author_name: str) -> dict:
    excerpt = review.body if len(review.body) <= 140 else review.body[:139].rstrip() + "…"
    return {
        "review_id": review.id,
        "product_id": product.id,
        "product_name": product.name,
        "user_id": review.user_id,
        "author_name": author_name,
        "rating": review.rating,
        "excerpt": excerpt,
    }
