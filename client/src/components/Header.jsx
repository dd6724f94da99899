/** The site header on every page: navigation, the language menu, the connection indicator and the bell for signed-in users. */
import { useTranslation } from "react-i18next";
import { Link, NavLink } from "react-router";
import { useAuth } from "../auth/AuthContext.jsx";
import { useCart } from "../cart/CartContext.jsx";
import { ConnectionStatus } from "../notifications/ConnectionStatus.jsx";
import { NotificationMenu } from "../notifications/NotificationMenu.jsx";
import { LanguageMenu } from "../i18n/LanguageMenu.jsx";

export function Header() {
  const { user, logout } = useAuth();
  const { count } = useCart();
  const { t } = useTranslation();
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand">
          NovaCart
        </Link>
        <nav className="site-nav" aria-label={t("header.nav_label")}>
          <NavLink to="/" end>
            {t("header.shop")}
          </NavLink>
          <NavLink to="/cart">
            {t("header.cart")}{count > 0 && <span className="nav-count"> ({count})</span>}
          </NavLink>
          {user && <NavLink to="/orders">{t("header.orders")}</NavLink>}
          {user && <NavLink to="/preferences">{t("header.preferences")}</NavLink>}
        </nav>
        <div className="site-header__tools">
          <LanguageMenu />
          {user ? (
            <>
              <ConnectionStatus />
              <NotificationMenu />
              <span className="user-name" title={user.email}>
                {user.name || user.email}
              </span>
              <button type="button" className="button button--ghost" onClick={logout}>
                {t("header.log_out")}
              </button>
            </>
          ) : (
            <>
              <Link to="/login" className="button button--ghost">
                {t("header.log_in")}
              </Link>
              <Link to="/signup" className="button">
                {t("header.sign_up")}
              </Link>
            </>
          )}
        </div>
      </div>
    </header>
  );
}
