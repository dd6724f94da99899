/**
 * Load one API resource: `{data, error, isLoading, isFetching, refetch}` (STYLE.md section 10).
 *
 * `isLoading` is true only until the first answer; later reloads keep showing the old data with
 * `isFetching` true. A changed key (path + params) starts over; a stale answer is ignored.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client.js";

export function useApiQuery(path, { params, auth = true, enabled = true } = {}) {
  const key = enabled && path ? `${path}?${JSON.stringify(params ?? {})}` : null;
  const [state, setState] = useState({ key: null, data: undefined, error: null, isFetching: false });
  const latest = useRef({ path, params, auth });
  latest.current = { path, params, auth };
  const requestId = useRef(0);

  const load = useCallback(() => {
    if (!key) return Promise.resolve(undefined);
    const id = ++requestId.current;
    const { path: p, params: q, auth: a } = latest.current;
    setState((s) => ({ ...s, key, isFetching: true, ...(s.key === key ? {} : { data: undefined, error: null }) }));
    return api(p, { params: q, auth: a }).then(
      (data) => {
        if (id === requestId.current) setState({ key, data, error: null, isFetching: false });
        return data;
      },
      (error) => {
        if (id === requestId.current) setState((s) => ({ ...s, key, error, isFetching: false }));
        return undefined;
      },
    );
  }, [key]);

  useEffect(() => {
    load();
  }, [load]);

  const current = state.key === key;
  const data = current ? state.data : undefined;
  const error = current ? state.error : null;
  const isFetching = Boolean(key) && (!current || state.isFetching);
  return { data, error, isLoading: isFetching && data === undefined && !error, isFetching, refetch: load };
}

/**
 * Run one mutation: `{mutate, isPending, error, data, reset}`. `mutate` resolves to the result, or to
 * undefined on failure (the error is kept in state for the form to show), so callers need no try/catch.
 */
export function useMutation(fn) {
  const [state, setState] = useState({ isPending: false, error: null, data: undefined });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const mutate = useCallback(async (...args) => {
    setState({ isPending: true, error: null, data: undefined });
    try {
      const data = await fnRef.current(...args);
      if (mounted.current) setState({ isPending: false, error: null, data });
      return data ?? true;
    } catch (error) {
      if (mounted.current) setState({ isPending: false, error, data: undefined });
      return undefined;
    }
  }, []);
  const reset = useCallback(() => setState({ isPending: false, error: null, data: undefined }), []);
  return { ...state, mutate, reset };
}
