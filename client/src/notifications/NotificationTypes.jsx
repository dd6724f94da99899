/**
 * The notification types the signed-in user may receive, as the server's registry describes them
 * (`GET /api/notifications/types`): label, description, icon name, whether it is always on, channels.
 *
 * Fetched once per signed-in user and shared by the bell, the toasts and the preferences page. The client
 * knows no type by name: a type it has never heard of shows with its label and a generic icon, and a
 * notification whose type the list lacks (the list still loading or failed) says "notification" (translated).
 * The labels are in the user's locale, so the list is fetched again when the account's locale changes.
 */
import { createContext, useCallback, useContext, useMemo } from "react";
import i18n from "../i18n/index.js";
import { useAuth } from "../auth/AuthContext.jsx";
import { useApiQuery } from "../hooks/useApiQuery.js";

const UNKNOWN = { description: "", icon: null, always_on: false, channels: [] };
const describeUnknown = (type) => ({ ...UNKNOWN, label: i18n.t("bell.unknown_type"), type });

// Outside a provider (a component rendered on its own) no type is known.
const NotificationTypesContext = createContext({
  data: undefined,
  error: null,
  isLoading: false,
  isFetching: false,
  refetch: () => Promise.resolve(undefined),
  describe: describeUnknown,
});

export function NotificationTypesProvider({ children }) {
  const { user } = useAuth();
  // The scope starts over for another user, role or locale (the list depends on them); it is never sent.
  const query = useApiQuery("/api/notifications/types", { enabled: Boolean(user), scope: user ? `${user.id}:${user.role}:${user.locale ?? ""}` : "" });
  const { data, error, isLoading, isFetching, refetch } = query;
  const types = useMemo(() => (Array.isArray(data) ? data.filter((t) => t && typeof t.type === "string") : undefined), [data]);
  const byName = useMemo(() => new Map((types ?? []).map((t) => [t.type, t])), [types]);
  const describe = useCallback((type) => byName.get(type) ?? describeUnknown(type), [byName]);

  const value = useMemo(
    () => ({ data: types, error, isLoading, isFetching, refetch, describe }),
    [types, error, isLoading, isFetching, refetch, describe],
  );
  return <NotificationTypesContext.Provider value={value}>{children}</NotificationTypesContext.Provider>;
}

/** `{data: [type], error, isLoading, isFetching, refetch, describe(type)}` (STYLE.md section 10). */
export function useNotificationTypes() {
  return useContext(NotificationTypesContext);
}

/** One type's `{type, label, description, icon, always_on, channels}`, with a generic stand-in when unknown. */
export function useNotificationType(type) {
  return useNotificationTypes().describe(type);
}
