/** Create a customer account (name, email, password of at least 8 characters) and sign in. */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ApiError, codeSentence, withDetail } from "../api/problem.js";
import { safeNext, useAuth } from "../auth/AuthContext.jsx";
import { ErrorMessage, FieldError, fieldProps } from "../components/ErrorMessage.jsx";
import { useMutation } from "../hooks/useApiQuery.js";

export function SignupPage() {
  const { register } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get("next"));
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const [localError, setLocalError] = useState(null);
  const { mutate, isPending, error: serverError } = useMutation(() => register(form.name.trim(), form.email.trim(), form.password));
  const error = localError ?? (serverError?.status === 409 ? withDetail(serverError, serverError.detail || codeSentence("duplicate_email")) : serverError);
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("signup.page_title")} · NovaCart`;
  }, [t, i18n.language]);

  const change = (field) => (event) => setForm((f) => ({ ...f, [field]: event.target.value }));

  const submit = async (event) => {
    event.preventDefault();
    const fieldErrors = {};
    if (!form.name.trim()) fieldErrors.name = [t("signup.name_required")];
    if (!form.email.includes("@")) fieldErrors.email = [t("signup.email_invalid")];
    if (form.password.length < 8) fieldErrors.password = [t("signup.password_short")];
    if (Object.keys(fieldErrors).length) {
      setLocalError(new ApiError({ status: 422, code: "validation_error", fieldErrors }));
      return;
    }
    setLocalError(null);
    if (await mutate()) navigate(next, { replace: true });
  };

  return (
    <section className="auth-page" aria-labelledby="signup-title">
      <h1 id="signup-title">{t("signup.title")}</h1>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="signup-name">{t("auth.name")}</label>
          <input id="signup-name" autoComplete="name" required value={form.name} onChange={change("name")} {...fieldProps(error, "name")} />
          <FieldError error={error} name="name" />
        </div>
        <div className="field">
          <label htmlFor="signup-email">{t("auth.email")}</label>
          <input id="signup-email" type="email" autoComplete="email" required value={form.email} onChange={change("email")} {...fieldProps(error, "email")} />
          <FieldError error={error} name="email" />
        </div>
        <div className="field">
          <label htmlFor="signup-password">{t("auth.password")}</label>
          <input
            id="signup-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={form.password}
            onChange={change("password")}
            aria-describedby={fieldProps(error, "password")["aria-describedby"] ?? "signup-password-hint"}
            aria-invalid={fieldProps(error, "password")["aria-invalid"]}
          />
          <p className="field__hint" id="signup-password-hint">
            {t("signup.password_hint")}
          </p>
          <FieldError error={error} name="password" />
        </div>
        <ErrorMessage error={error} />
        <button type="submit" className="button" disabled={isPending}>
          {isPending ? t("signup.pending") : t("signup.submit")}
        </button>
      </form>
      <p>
        {t("signup.have_account")} <Link to={next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login"}>{t("login.submit")}</Link>
      </p>
    </section>
  );
}
