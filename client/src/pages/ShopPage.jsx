/** The catalogue: filter by category, search, in-stock only; stock on every card; add to cart. */
import { useEffect, useState } from "react";
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

  useEffect(() => {
    document.title = "Shop · NovaCart";
  }, []);

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
      <h1 id="shop-title">Office supplies</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          update({ q: search.trim() });
        }}
      >
        <div className="field field--inline">
          <label htmlFor="shop-q">Search products</label>
          <input id="shop-q" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="pens, paper, ink…" />
        </div>
        <button type="submit" className="button">
          Search
        </button>
        <div className="field field--inline">
          <label htmlFor="shop-category">Category</label>
          <select id="shop-category" value={category} onChange={(e) => update({ category: e.target.value })}>
            <option value="">All categories</option>
            {categories.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={inStock} onChange={(e) => update({ in_stock: e.target.checked ? "true" : "" })} /> In stock only
        </label>
      </form>
      <p className="sr-only" role="status">
        {isFetching ? "Loading products" : `${data.items.length} products shown`}
      </p>
      {added && (
        <p className="alert alert--success" role="status">
          Added {added} to your cart. <Link to="/cart">View cart</Link>
        </p>
      )}
      {error && (
        <div>
          <ErrorMessage error={error} />
          <button type="button" className="link-button" onClick={() => refetch()}>
            Try again
          </button>
        </div>
      )}
      {isLoading && !error && <p className="muted">Loading products…</p>}
      {!isLoading && !error && data.items.length === 0 && <p className="muted">No products match. Try another search or category.</p>}
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
                Add to cart
              </button>
            ) : (
              <Link to={`/products/${product.id}`} className="button button--secondary">
                Notify me
              </Link>
            )}
          </li>
        ))}
      </ul>
      {data.nextCursor && (
        <div className="center">
          <button type="button" className="button button--secondary" onClick={loadMore} disabled={isLoadingMore}>
            {isLoadingMore ? "Loading…" : "Load more products"}
          </button>
        </div>
      )}
    </section>
  );
}
