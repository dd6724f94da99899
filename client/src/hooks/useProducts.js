/** Products: the catalogue with filters and "load more" cursor paging, one product, and the category list. */
import i18n from "../i18n/index.js";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client.js";
import { useApiQuery } from "./useApiQuery.js";

const PAGE = 24;

/**
 * `{data: {items, nextCursor}, error, isLoading, isFetching, refetch, loadMore, isLoadingMore}`;
 * changing `filters` ({category, q, in_stock}) starts again from the first page.
 */
export function useProducts(filters) {
  const key = JSON.stringify(filters);
  const [state, setState] = useState({ key: null, items: [], nextCursor: null, error: null, isFetching: false, isLoadingMore: false });
  const request = useRef(0);

  const load = useCallback(async () => {
    const id = ++request.current;
    const params = { ...JSON.parse(key), limit: PAGE };
    setState((s) => ({ ...(s.key === key ? s : { items: [], nextCursor: null }), key, error: null, isFetching: true, isLoadingMore: false }));
    try {
      const page = await api("/api/products", { params, auth: false });
      if (id === request.current) setState({ key, items: page.items ?? [], nextCursor: page.next_cursor ?? null, error: null, isFetching: false, isLoadingMore: false });
    } catch (error) {
      if (id === request.current) setState((s) => ({ ...s, key, error, isFetching: false }));
    }
  }, [key]);

  const loadMore = useCallback(async () => {
    const cursor = state.nextCursor;
    if (!cursor || state.isLoadingMore) return;
    const id = request.current;
    setState((s) => ({ ...s, isLoadingMore: true }));
    try {
      const page = await api("/api/products", { params: { ...JSON.parse(key), limit: PAGE, cursor }, auth: false });
      if (id !== request.current) return;
      setState((s) => {
        const seen = new Set(s.items.map((p) => p.id));
        return { ...s, items: s.items.concat((page.items ?? []).filter((p) => !seen.has(p.id))), nextCursor: page.next_cursor ?? null, isLoadingMore: false };
      });
    } catch (error) {
      if (id === request.current) setState((s) => ({ ...s, error, isLoadingMore: false }));
    }
  }, [key, state.nextCursor, state.isLoadingMore]);

  useEffect(() => {
    load();
  }, [load]);

  const current = state.key === key;
  return {
    data: current ? { items: state.items, nextCursor: state.nextCursor } : { items: [], nextCursor: null },
    error: current ? state.error : null,
    isLoading: !current || (state.isFetching && state.items.length === 0),
    isFetching: !current || state.isFetching,
    isLoadingMore: state.isLoadingMore,
    refetch: load,
    loadMore,
  };
}

export function useProduct(id) {
  return useApiQuery(id != null ? `/api/products/${id}` : null, { auth: false });
}

/** Category names seen in the first page of the catalogue (the API has no category list of its own). */
export function useCategories(current) {
  const { data } = useApiQuery("/api/products", { params: { limit: 100 }, auth: false });
  const names = new Set((data?.items ?? []).map((p) => p.category).filter(Boolean));
  if (current) names.add(current);
  return [...names].sort((a, b) => a.localeCompare(b));
}

export function stockLabel(product) {
  if (!product) return "";
  if (product.stock <= 0) return i18n.t("stock.out");
  if (product.low_stock_threshold != null && product.stock <= product.low_stock_threshold) return i18n.t("stock.only_left", { count: product.stock });
  return i18n.t("stock.in", { count: product.stock });
}
