/** The catalogue: filter by category, search, in-stock only; stock on every card; add to cart. */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { Money } from "../components/Money.jsx";
import { useCart } from "../cart/CartContext.jsx";
import { stockLabel, useCategories, useProducts } from "../hooks/useProducts.js";

export function ShopPage() {
  const [params, setParams] = useSearchParams();
  const category = params.get("category") ?? "";
  const q = params.get("q") ?? "";
  const inStock = params.get("in_stock") === "true";
  const [search, setSearch] = useState(q);
  // The URL's query changed (back, forward, a link): the search box follows it.
  const [shownQ, setShownQ] = useState(q);
  if (q !== shownQ) {
    setShownQ(q);
    setSearch(q);
  }
  const categories = useCategories(category);
  const { data, error, isLoading, isFetching, isLoadingMore, loadMore, refetch } = useProducts({
    category: category || undefined,
    q: q || undefined,
    in_stock: inStock ? "true" : undefined,
  });
  const { add } = useCart();
  const [added, setAdded] = useState(null);
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("shop.page_title")} · NovaCart`;
  }, [t, i18n.language]);

  const update = (changes) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next);
  };

  return (
    <section aria-labelledby="shop-title">
      <h1 id="shop-title">{t("shop.title")}</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          update({ q: search.trim() });
        }}
      >
        <div className="field field--inline">
          <label htmlFor="shop-q">{t("shop.search_label")}</label>
          <input id="shop-q" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t("shop.search_placeholder")} />
        </div>
        <button type="submit" className="button">
          {t("shop.search")}
        </button>
        <div className="field field--inline">
          <label htmlFor="shop-category">{t("shop.category")}</label>
          <select id="shop-category" value={category} onChange={(e) => update({ category: e.target.value })}>
            <option value="">{t("shop.all_categories")}</option>
            {categories.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={inStock} onChange={(e) => update({ in_stock: e.target.checked ? "true" : "" })} /> {t("shop.in_stock_only")}
        </label>
      </form>
      <p className="sr-only" role="status">
        {isFetching ? t("shop.loading_status") : t("shop.shown", { count: data.items.length })}
      </p>
      {added && (
        <p className="alert alert--success" role="status">
          {t("shop.added", { name: added })} <Link to="/cart">{t("common.view_cart")}</Link>
        </p>
      )}
      {error && (
        <div>
          <ErrorMessage error={error} />
          <button type="button" className="link-button" onClick={() => refetch()}>
            {t("common.try_again")}
          </button>
        </div>
      )}
      {isLoading && !error && <p className="muted">{t("shop.loading")}</p>}
      {!isLoading && !error && data.items.length === 0 && <p className="muted">{t("shop.empty")}</p>}
      <ul className="product-grid" aria-busy={isFetching}>
        {data.items.map((product) => (
          <li key={product.id} className="product-card" data-testid="product-card">
            <h2 className="product-card__name">
              <Link to={`/products/${product.id}`}>{product.name}</Link>
            </h2>
            <p className="product-card__category">{product.category}</p>
            <p className="product-card__price">
              <Money cents={product.price_cents} />
            </p>
            <p className={`stock ${product.stock > 0 ? "stock--in" : "stock--out"}`} data-testid="stock">
              {stockLabel(product)}
            </p>
            {product.stock > 0 ? (
              <button
                type="button"
                className="button"
                onClick={() => {
                  add(product, 1);
                  setAdded(product.name);
                }}
              >
                {t("common.add_to_cart")}
              </button>
            ) : (
              <Link to={`/products/${product.id}`} className="button button--secondary">
                {t("shop.notify_me")}
              </Link>
            )}
          </li>
        ))}
      </ul>
      {data.nextCursor && (
        <div className="center">
          <button type="button" className="button button--secondary" onClick={loadMore} disabled={isLoadingMore}>
            {isLoadingMore ? t("common.loading") : t("shop.load_more")}
          </button>
        </div>
      )}
    </section>
  );
}
