/** Create a customer account (name, email, password of at least 8 characters) and sign in. */
import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ApiError, withDetail } from "../api/problem.js";
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
  const error = localError ?? (serverError?.status === 409 ? withDetail(serverError, serverError.detail || "An account with this email already exists.") : serverError);

  useEffect(() => {
    document.title = "Sign up · NovaCart";
  }, []);

  const change = (field) => (event) => setForm((f) => ({ ...f, [field]: event.target.value }));

  const submit = async (event) => {
    event.preventDefault();
    const fieldErrors = {};
    if (!form.name.trim()) fieldErrors.name = ["Please enter your name."];
    if (!form.email.includes("@")) fieldErrors.email = ["Please enter a valid email address."];
    if (form.password.length < 8) fieldErrors.password = ["Use at least 8 characters."];
    if (Object.keys(fieldErrors).length) {
      setLocalError(new ApiError({ status: 422, code: "validation_error", fieldErrors }));
      return;
    }
    setLocalError(null);
    if (await mutate()) navigate(next, { replace: true });
  };

  return (
    <section className="auth-page" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="signup-name">Name</label>
          <input id="signup-name" autoComplete="name" required value={form.name} onChange={change("name")} {...fieldProps(error, "name")} />
          <FieldError error={error} name="name" />
        </div>
        <div className="field">
          <label htmlFor="signup-email">Email</label>
          <input id="signup-email" type="email" autoComplete="email" required value={form.email} onChange={change("email")} {...fieldProps(error, "email")} />
          <FieldError error={error} name="email" />
        </div>
        <div className="field">
          <label htmlFor="signup-password">Password</label>
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
            At least 8 characters.
          </p>
          <FieldError error={error} name="password" />
        </div>
        <ErrorMessage error={error} />
        <button type="submit" className="button" disabled={isPending}>
          {isPending ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p>
        Already have an account? <Link to={next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login"}>Log in</Link>
      </p>
    </section>
  );
}
