/** Log in, then go back to where the visitor was headed (`?next=`), e.g. after a lapsed session. */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { codeSentence, withDetail } from "../api/problem.js";
import { safeNext, useAuth } from "../auth/AuthContext.jsx";
import { ErrorMessage, FieldError, fieldProps } from "../components/ErrorMessage.jsx";
import { useMutation } from "../hooks/useApiQuery.js";

export function LoginPage() {
  const { user, login } = useAuth();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const next = safeNext(params.get("next") ?? location.state?.from);
  const expired = params.get("reason") === "expired";
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { mutate, isPending, error } = useMutation(() => login(email.trim(), password));
  // Set while our own submit is under way, so its success navigates to `next` itself (not <Navigate>).
  const [submitting, setSubmitting] = useState(false);
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("login.title")} · NovaCart`;
  }, [t, i18n.language]);

  if (user && !submitting) return <Navigate to={next} replace />;

  const submit = async (event) => {
    event.preventDefault();
    setSubmitting(true);
    const ok = await mutate();
    if (ok) navigate(next, { replace: true });
    else setSubmitting(false);
  };

  return (
    <section className="auth-page" aria-labelledby="login-title">
      <h1 id="login-title">{t("login.title")}</h1>
      {expired && (
        <p className="alert alert--info" role="status">
          {codeSentence("token_expired")}
        </p>
      )}
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="login-email">{t("auth.email")}</label>
          <input
            id="login-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            {...fieldProps(error, "email")}
          />
          <FieldError error={error} name="email" />
        </div>
        <div className="field">
          <label htmlFor="login-password">{t("auth.password")}</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            {...fieldProps(error, "password")}
          />
          <FieldError error={error} name="password" />
        </div>
        <ErrorMessage error={error?.status === 401 ? withDetail(error, codeSentence("invalid_credentials")) : error} />
        <button type="submit" className="button" disabled={isPending}>
          {isPending ? t("login.pending") : t("login.submit")}
        </button>
      </form>
      <p>
        {t("login.new_here")} <Link to={next !== "/" ? `/signup?next=${encodeURIComponent(next)}` : "/signup"}>{t("login.create_account")}</Link>
      </p>
    </section>
  );
}
