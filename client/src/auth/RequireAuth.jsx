/** Route guard: signed-out visitors go to the login page, which brings them back here afterwards. */
import { Navigate, useLocation } from "react-router";
import { loginPath, useAuth } from "./AuthContext.jsx";

export function RequireAuth({ children }) {
  const { user, lapsed } = useAuth();
  const location = useLocation();
  if (!user) {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={loginPath(next, lapsed ? "expired" : undefined)} replace state={{ from: next }} />;
  }
  return children;
}
