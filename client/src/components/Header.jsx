/** The site header on every page: navigation, the connection indicator and the bell for signed-in users. */
import { Link, NavLink } from "react-router";
import { useAuth } from "../auth/AuthContext.jsx";
import { useCart } from "../cart/CartContext.jsx";
import { ConnectionStatus } from "../notifications/ConnectionStatus.jsx";
import { NotificationMenu } from "../notifications/NotificationMenu.jsx";

export function Header() {
  const { user, logout } = useAuth();
  const { count } = useCart();
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand">
          NovaCart
        </Link>
        <nav className="site-nav" aria-label="Main">
          <NavLink to="/" end>
            Shop
          </NavLink>
          <NavLink to="/cart">
            Cart{count > 0 && <span className="nav-count"> ({count})</span>}
          </NavLink>
          {user && <NavLink to="/orders">My orders</NavLink>}
          {user && <NavLink to="/preferences">Preferences</NavLink>}
        </nav>
        <div className="site-header__tools">
          {user ? (
            <>
              <ConnectionStatus />
              <NotificationMenu />
              <span className="user-name" title={user.email}>
                {user.name || user.email}
              </span>
              <button type="button" className="button button--ghost" onClick={logout}>
                Log out
              </button>
            </>
          ) : (
            <>
              <Link to="/login" className="button button--ghost">
                Log in
              </Link>
              <Link to="/signup" className="button">
                Sign up
              </Link>
            </>
          )}
        </div>
      </div>
    </header>
  );
}
