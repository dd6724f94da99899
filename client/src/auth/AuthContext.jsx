/**
 * Who is signed in, and the actions that change it. Keeps the access token fresh: a timer refreshes it
 * a minute before it expires (and again when a sleeping tab wakes). A session the server refuses sends
 * the user to the login page with `next` set to where they were.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { api, ensureFreshAccessToken } from "../api/client.js";
import { useLatest } from "../hooks/useLatest.js";
import { currentLocale } from "../i18n/index.js";
import { forgetDevicePush } from "../push/device.js";
import { accessTokenLifetimeMs, clearSession, refreshMarginMs, getAccessToken, getRefreshToken, getUser, setSession, subscribeSession } from "../api/session.js";

const AuthContext = createContext(null);

export function loginPath(next, reason) {
  const params = new URLSearchParams();
  if (next && next !== "/login" && next !== "/signup") params.set("next", next);
  if (reason) params.set("reason", reason);
  const qs = params.toString();
  return qs ? `/login?${qs}` : "/login";
}

/** Only same-site paths are followed after login, never another origin ("//evil.example"). */
export function safeNext(next) {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

export function AuthProvider({ children }) {
  const [user, setUser] = useState(() => (getAccessToken() || getRefreshToken() ? getUser() : null));
  const [tokenVersion, setTokenVersion] = useState(0);
  const [lapsed, setLapsed] = useState(false);
  const navigate = useNavigate();
  const location = useLocation();
  const where = useLatest(location);

  useEffect(
    () =>
      subscribeSession((reason) => {
        const signedIn = Boolean(getAccessToken() || getRefreshToken());
        setUser(signedIn ? getUser() : null);
        setTokenVersion((v) => v + 1);
        if (signedIn) setLapsed(false);
        else if (reason === "expired") setLapsed(true);
        if (reason === "expired") {
          const { pathname, search, hash } = where.current;
          if (pathname !== "/login" && pathname !== "/signup") {
            navigate(loginPath(`${pathname}${search}${hash}`, "expired"), { replace: true });
          }
        }
      }),
    [navigate, where],
  );

  // Refresh shortly before expiry; tokenVersion re-arms the timer after every refresh.
  useEffect(() => {
    if (!user) return undefined;
    const lifetime = accessTokenLifetimeMs();
    if (lifetime === Infinity) return undefined; // a token without `exp` never needs refreshing
    const delay = Math.max(1000, lifetime - refreshMarginMs());
    const timer = setTimeout(() => ensureFreshAccessToken().catch(() => {}), Math.min(delay, 2 ** 31 - 1));
    const onVisible = () => {
      if (document.visibilityState === "visible") ensureFreshAccessToken().catch(() => {});
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [user, tokenVersion]);

  // Tokens without a stored user (an older tab, cleared storage): ask the server who we are.
  useEffect(() => {
    if (user || !(getAccessToken() || getRefreshToken())) return;
    api("/api/auth/me").then((me) => setSession({ user: me }), () => {});
  }, [user]);

  const login = useCallback(async (email, password) => {
    const body = await api("/api/auth/login", { method: "POST", body: { email, password }, auth: false });
    setSession({ accessToken: body.access_token, refreshToken: body.refresh_token, user: body.user });
    return body.user;
  }, []);

  // The account starts in the language the visitor is reading (CONTRACT.md: register's optional `locale`).
  const register = useCallback(async (name, email, password) => {
    const body = await api("/api/auth/register", { method: "POST", body: { name, email, password, locale: currentLocale() }, auth: false });
    setSession({ accessToken: body.access_token, refreshToken: body.refresh_token, user: body.user });
    return body.user;
  }, []);

  const logout = useCallback(async () => {
    const accessToken = getAccessToken();
    const refreshToken = getRefreshToken();
    if (accessToken) {
      // This browser stops showing the account's pushes (a shared computer), while the token still works.
      await forgetDevicePush();
      // Best effort: the local session ends whatever the server says.
      await fetch("/api/auth/logout", {
        method: "POST",
        headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(refreshToken ? { refresh_token: refreshToken } : {}),
      }).catch(() => {});
    }
    clearSession("logout");
    navigate("/login", { replace: true });
  }, [navigate]);

  const value = useMemo(() => ({ user, lapsed, login, register, logout }), [user, lapsed, login, register, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}
