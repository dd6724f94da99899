/**
 * Load one API resource: `{data, error, isLoading, isFetching, refetch}` (STYLE.md section 10).
 *
 * `isLoading` is true only until the first answer; later reloads keep showing the old data with
 * `isFetching` true. A changed key (path + params + `scope`, e.g. the signed-in user, which is not sent)
 * starts over; a stale answer is ignored.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client.js";
import { useLatest } from "./useLatest.js";

export function useApiQuery(path, { params, auth = true, enabled = true, scope = "" } = {}) {
  const key = enabled && path ? `${scope}|${path}?${JSON.stringify(params ?? {})}` : null;
  const [state, setState] = useState({ key: null, data: undefined, error: null, isFetching: false });
  const latest = useLatest({ path, params, auth });
  const requestId = useRef(0);

  // Sets state only when the answer arrives: a new key already reads as fetching (see below).
  const fetchNow = useCallback(() => {
    if (!key) return Promise.resolve(undefined);
    const id = ++requestId.current;
    const { path: p, params: q, auth: a } = latest.current;
    return api(p, { params: q, auth: a }).then(
      (data) => {
        if (id === requestId.current) setState({ key, data, error: null, isFetching: false });
        return data;
      },
      (error) => {
        if (id === requestId.current) setState((s) => ({ key, data: s.key === key ? s.data : undefined, error, isFetching: false }));
        return undefined;
      },
    );
  }, [key, latest]);

  useEffect(() => {
    fetchNow();
  }, [fetchNow]);

  const refetch = useCallback(() => {
    if (key) setState((s) => (s.key === key ? { ...s, isFetching: true } : s));
    return fetchNow();
  }, [key, fetchNow]);

  const current = state.key === key;
  const data = current ? state.data : undefined;
  const error = current ? state.error : null;
  const isFetching = Boolean(key) && (!current || state.isFetching);
  return { data, error, isLoading: isFetching && data === undefined && !error, isFetching, refetch };
}

/**
 * Run one mutation: `{mutate, isPending, error, data, reset}`. `mutate` resolves to the result, or to
 * undefined on failure (the error is kept in state for the form to show), so callers need no try/catch.
 */
export function useMutation(fn) {
  const [state, setState] = useState({ isPending: false, error: null, data: undefined });
  const fnRef = useLatest(fn);
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
  }, [fnRef]);
  const reset = useCallback(() => setState({ isPending: false, error: null, data: undefined }), []);
  return { ...state, mutate, reset };
}
