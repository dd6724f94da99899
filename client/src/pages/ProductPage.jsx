/**
 * One product: details, stock, add to cart; "Notify me when back in stock" (and leaving that list)
 * when it is sold out; a review form. A notification about this product reloads it.
 */
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api } from "../api/client.js";
import { loginPath, useAuth } from "../auth/AuthContext.jsx";
import { useCart } from "../cart/CartContext.jsx";
import { ErrorMessage, FieldError, fieldProps } from "../components/ErrorMessage.jsx";
import { Money } from "../components/Money.jsx";
import { useMutation } from "../hooks/useApiQuery.js";
import { stockLabel, useProduct } from "../hooks/useProducts.js";
import { useRealtimeEvents } from "../notifications/NotificationsContext.jsx";

export function ProductPage() {
  const { id } = useParams();
  const productId = Number(id);
  const { data: product, error, isLoading, refetch } = useProduct(productId);
  const { user } = useAuth();
  const { add } = useCart();
  const [quantity, setQuantity] = useState("1"); // text while typing; clamped on submit
  const [added, setAdded] = useState(false);
  const { t } = useTranslation();

  useEffect(() => {
    if (product) document.title = `${product.name} · NovaCart`;
  }, [product]);

  // Back in stock fulfils the waitlist entry on the server: forget it here too.
  const stock = product?.stock;
  useEffect(() => {
    if (!user || !(stock > 0)) return;
    const ids = readWaitlist(user.id);
    if (ids.delete(productId)) writeWaitlist(user.id, ids);
  }, [user, productId, stock]);

  useRealtimeEvents(
    useCallback(
      (event) => {
        if (event.type === "notification" && Number(event.payload?.data?.product_id) === productId) refetch();
      },
      [productId, refetch],
    ),
  );

  if (isLoading) return <p className="muted">{t("product.loading")}</p>;
  if (error) return <ErrorMessage error={error} />;
  if (!product) return null;

  const inStock = product.stock > 0;
  return (
    <article className="product-page" aria-labelledby="product-title">
      <p>
        <Link to={`/?category=${encodeURIComponent(product.category ?? "")}`}>← {product.category || t("product.all_products")}</Link>
      </p>
      <h1 id="product-title">{product.name}</h1>
      <p className="muted">{t("product.sku", { sku: product.sku })}</p>
      <p className="product-page__price">
        <Money cents={product.price_cents} />
      </p>
      <p className={`stock ${inStock ? "stock--in" : "stock--out"}`} data-testid="stock">
        {stockLabel(product)}
      </p>
      {product.description && <p className="product-page__description">{product.description}</p>}

      {inStock ? (
        <form
          className="add-to-cart"
          onSubmit={(event) => {
            event.preventDefault();
            add(product, Math.min(product.stock, Math.max(1, Math.floor(Number(quantity)) || 1)));
            setAdded(true);
          }}
        >
          <div className="field field--inline">
            <label htmlFor="product-qty">{t("cart.quantity")}</label>
            <input
              id="product-qty"
              type="number"
              min={1}
              max={product.stock}
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
          </div>
          <button type="submit" className="button">
            {t("common.add_to_cart")}
          </button>
          {added && (
            <p className="alert alert--success" role="status">
              {t("product.added")} <Link to="/cart">{t("common.view_cart")}</Link>
            </p>
          )}
        </form>
      ) : (
        <Waitlist key={`${user?.id ?? ""}:${productId}`} productId={productId} user={user} />
      )}

      <ReviewForm productId={productId} user={user} />
    </article>
  );
}

const waitlistKey = (userId) => `novacart.waitlist.${userId}`;

function readWaitlist(userId) {
  try {
    return new Set(JSON.parse(window.localStorage.getItem(waitlistKey(userId)) || "[]"));
  } catch {
    return new Set();
  }
}

function writeWaitlist(userId, ids) {
  try {
    window.localStorage.setItem(waitlistKey(userId), JSON.stringify([...ids]));
  } catch {
    // Without storage the page just forgets the choice on reload; the server still has it.
  }
}

/** Join or leave the back-in-stock list. The API has no "am I on it?" read, so this browser remembers. */
function Waitlist({ productId, user }) {
  const navigate = useNavigate();
  const location = useLocation();
  const [joined, setJoined] = useState(() => (user ? readWaitlist(user.id).has(productId) : false));
  const join = useMutation(() => api(`/api/products/${productId}/waitlist`, { method: "POST" }));
  const leave = useMutation(() => api(`/api/products/${productId}/waitlist`, { method: "DELETE" }));
  const { t } = useTranslation();

  const remember = (value) => {
    const ids = readWaitlist(user.id);
    if (value) ids.add(productId);
    else ids.delete(productId);
    writeWaitlist(user.id, ids);
    setJoined(value);
  };

  if (!user) {
    return (
      <div className="waitlist">
        <button type="button" className="button" onClick={() => navigate(loginPath(location.pathname))}>
          {t("product.notify_back")}
        </button>
        <p className="muted">{t("product.login_first")}</p>
      </div>
    );
  }

  return (
    <div className="waitlist" data-testid="waitlist">
      {joined ? (
        <>
          <p className="alert alert--success" role="status">
            {t("product.on_list")}
          </p>
          <button
            type="button"
            className="button button--secondary"
            disabled={leave.isPending}
            onClick={async () => {
              if (await leave.mutate()) remember(false);
            }}
          >
            {t("product.leave_list")}
          </button>
        </>
      ) : (
        <button
          type="button"
          className="button"
          disabled={join.isPending}
          onClick={async () => {
            if (await join.mutate()) remember(true);
          }}
        >
          {t("product.notify_back")}
        </button>
      )}
      <ErrorMessage error={join.error ?? leave.error} />
    </div>
  );
}

function ReviewForm({ productId, user }) {
  const [rating, setRating] = useState("5");
  const [body, setBody] = useState("");
  const [done, setDone] = useState(false);
  const { mutate, isPending, error } = useMutation(() =>
    api(`/api/products/${productId}/reviews`, { method: "POST", body: { rating: Number(rating), body: body.trim() } }),
  );
  const { t } = useTranslation();

  return (
    <section className="review-form" aria-labelledby="review-title">
      <h2 id="review-title">{t("review.title")}</h2>
      {!user ? (
        <p>
          <Link to={loginPath(`/products/${productId}`)}>{t("header.log_in")}</Link> {t("review.login_to_review")}
        </p>
      ) : (
        <form
          className="form"
          onSubmit={async (event) => {
            event.preventDefault();
            setDone(false);
            if (await mutate()) {
              setDone(true);
              setBody("");
            }
          }}
        >
          <div className="field">
            <label htmlFor="review-rating">{t("review.rating")}</label>
            <select id="review-rating" value={rating} onChange={(e) => setRating(e.target.value)} {...fieldProps(error, "rating")}>
              {[5, 4, 3, 2, 1].map((n) => (
                <option key={n} value={n}>
                  {t("review.stars", { count: n })}
                </option>
              ))}
            </select>
            <FieldError error={error} name="rating" />
          </div>
          <div className="field">
            <label htmlFor="review-body">{t("review.body")}</label>
            <textarea id="review-body" rows={4} value={body} onChange={(e) => setBody(e.target.value)} {...fieldProps(error, "body")} />
            <FieldError error={error} name="body" />
          </div>
          <ErrorMessage error={error} />
          {done && (
            <p className="alert alert--success" role="status">
              {t("review.posted")}
            </p>
          )}
          <button type="submit" className="button" disabled={isPending}>
            {isPending ? t("review.posting") : t("review.submit")}
          </button>
        </form>
      )}
    </section>
  );
}
