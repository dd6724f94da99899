/** Routes and the providers every page shares. */
import { useTranslation } from "react-i18next";
import { BrowserRouter, Route, Routes } from "react-router";
import "./i18n/index.js";
import { AuthProvider, useAuth } from "./auth/AuthContext.jsx";
import { RequireAuth } from "./auth/RequireAuth.jsx";
import { CartProvider } from "./cart/CartContext.jsx";
import { Header } from "./components/Header.jsx";
import { LocaleFollowsUser } from "./i18n/LanguageMenu.jsx";
import { NotificationsProvider } from "./notifications/NotificationsContext.jsx";
import { NotificationTypesProvider } from "./notifications/NotificationTypes.jsx";
import { Toasts } from "./notifications/Toasts.jsx";
import { CartPage } from "./pages/CartPage.jsx";
import { LoginPage } from "./pages/LoginPage.jsx";
import { NotFoundPage } from "./pages/NotFoundPage.jsx";
import { OrderPage } from "./pages/OrderPage.jsx";
import { OrdersPage } from "./pages/OrdersPage.jsx";
import { PreferencesPage } from "./pages/PreferencesPage.jsx";
import { ProductPage } from "./pages/ProductPage.jsx";
import { ShopPage } from "./pages/ShopPage.jsx";
import { SignupPage } from "./pages/SignupPage.jsx";

/** Everything below the router; tests wrap it in a MemoryRouter and inject a fake socket factory. */
export function AppProviders({ children, socketFactory, socketOptions }) {
  return (
    <AuthProvider>
      <LocaleFollowsUser />
      <CartProvider>
        <NotificationTypesProvider>
          <NotificationsProvider socketFactory={socketFactory} socketOptions={socketOptions}>
            {children}
          </NotificationsProvider>
        </NotificationTypesProvider>
      </CartProvider>
    </AuthProvider>
  );
}

function Layout({ children }) {
  const { user } = useAuth();
  const { t } = useTranslation();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("header.skip_link")}
      </a>
      <Header />
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
      {user && <Toasts />}
    </>
  );
}

export function AppRoutes() {
  return (
    <Layout>
      <Routes>
        <Route path="/" element={<ShopPage />} />
        <Route path="/products/:id" element={<ProductPage />} />
        <Route path="/cart" element={<CartPage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route
          path="/orders"
          element={
            <RequireAuth>
              <OrdersPage />
            </RequireAuth>
          }
        />
        <Route
          path="/orders/:id"
          element={
            <RequireAuth>
              <OrderPage />
            </RequireAuth>
          }
        />
        <Route
          path="/preferences"
          element={
            <RequireAuth>
              <PreferencesPage />
            </RequireAuth>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Layout>
  );
}

export default function App() {
  return (
    <BrowserRouter>
      <AppProviders>
        <AppRoutes />
      </AppProviders>
    </BrowserRouter>
  );
}
