/**
 * Notification preferences: a switch per type the user may receive (the list, labels, descriptions and
 * which types are always on come from GET /api/notifications/types) and the interests that decide which
 * promotions arrive.
 */
import { useEffect, useState } from "react";
import { ErrorMessage, FieldError } from "../components/ErrorMessage.jsx";
import { useApiQuery, useMutation } from "../hooks/useApiQuery.js";
import { savePreferences } from "../notifications/api.js";
import { useNotificationTypes } from "../notifications/NotificationTypes.jsx";

const SUGGESTED = ["paper", "ink", "pens", "furniture", "organisation", "printers"];

export function PreferencesPage() {
  const catalogue = useNotificationTypes();
  const prefs = useApiQuery("/api/notifications/preferences");
  const { data } = prefs;
  // Local edits; null means "as loaded", so the first render with data already shows the saved values.
  const [editedTypes, setTypes] = useState(null);
  const [editedInterests, setInterests] = useState(null);
  const types = editedTypes ?? data?.types ?? {};
  const interests = editedInterests ?? data?.interests ?? [];
  const [draft, setDraft] = useState("");
  const [saved, setSaved] = useState(false);
  const save = useMutation((body) => savePreferences(body));

  useEffect(() => {
    document.title = "Preferences · NovaCart";
  }, []);

  const shownTypes = catalogue.data ?? [];

  const addInterest = (value) => {
    const tag = value.trim().toLowerCase();
    if (!tag || interests.includes(tag)) return;
    setInterests([...interests, tag]);
    setSaved(false);
  };

  const submit = async (event) => {
    event.preventDefault();
    setSaved(false);
    const tag = draft.trim().toLowerCase();
    const nextInterests = tag && !interests.includes(tag) ? [...interests, tag] : interests;
    setInterests(nextInterests);
    setDraft("");
    // An always-on type cannot be changed, so it is never sent.
    const body = {
      types: Object.fromEntries(shownTypes.filter((kind) => !kind.always_on).map(({ type }) => [type, types[type] !== false])),
      interests: nextInterests,
    };
    const result = await save.mutate(body);
    if (result) {
      setSaved(true);
      if (typeof result === "object") {
        setTypes({ ...types, ...(result.types ?? {}) });
        setInterests(result.interests ?? nextInterests);
      }
    }
  };

  if (prefs.isLoading || catalogue.isLoading) return <p className="muted">Loading preferences…</p>;
  const failed = [prefs, catalogue].filter((query) => query.error && !query.data);
  if (failed.length) {
    return (
      <section>
        <h1>Notification preferences</h1>
        <ErrorMessage error={failed[0].error} />
        <button type="button" className="link-button" onClick={() => failed.forEach((query) => query.refetch())}>
          Try again
        </button>
      </section>
    );
  }

  return (
    <section aria-labelledby="prefs-title" className="prefs">
      <h1 id="prefs-title">Notification preferences</h1>
      <form onSubmit={submit} className="form form--wide">
        <fieldset className="prefs__types">
          <legend>What to notify me about</legend>
          {shownTypes.map(({ type, label, description, always_on: locked }) => {
            const on = locked || types[type] !== false;
            return (
              <div className="switch-row" key={type}>
                <input
                  type="checkbox"
                  role="switch"
                  id={`pref-${type}`}
                  className="switch"
                  checked={on}
                  disabled={locked}
                  aria-checked={on}
                  aria-describedby={`pref-${type}-help`}
                  onChange={(e) => {
                    setTypes({ ...types, [type]: e.target.checked });
                    setSaved(false);
                  }}
                />
                <label htmlFor={`pref-${type}`}>{label || type}</label>
                <p className="field__hint" id={`pref-${type}-help`}>
                  {description}
                  {locked && " Always on."}
                </p>
                <FieldError error={save.error} name={`types.${type}`} />
              </div>
            );
          })}
        </fieldset>

        <fieldset className="prefs__interests">
          <legend>Interests</legend>
          <p className="field__hint">Promotions are sent for the topics you pick (all topics when the list is empty).</p>
          <ul className="tags" aria-label="Your interests">
            {interests.length === 0 && <li className="muted">No interests yet.</li>}
            {interests.map((tag) => (
              <li key={tag} className="tag">
                {tag}
                <button
                  type="button"
                  className="tag__remove"
                  aria-label={`Remove interest ${tag}`}
                  onClick={() => {
                    setInterests(interests.filter((t) => t !== tag));
                    setSaved(false);
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <div className="field field--inline">
            <label htmlFor="interest-input">Add interest</label>
            <input
              id="interest-input"
              value={draft}
              list="interest-suggestions"
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === ",") {
                  e.preventDefault();
                  addInterest(draft);
                  setDraft("");
                }
              }}
            />
            <datalist id="interest-suggestions">
              {SUGGESTED.filter((s) => !interests.includes(s)).map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                addInterest(draft);
                setDraft("");
              }}
            >
              Add
            </button>
          </div>
          <p className="suggestions">
            Suggestions:{" "}
            {SUGGESTED.filter((s) => !interests.includes(s)).map((s) => (
              <button key={s} type="button" className="chip" onClick={() => addInterest(s)} aria-label={`Add interest ${s}`}>
                + {s}
              </button>
            ))}
          </p>
          <FieldError error={save.error} name="interests" />
        </fieldset>

        <ErrorMessage error={save.error} />
        {saved && (
          <p className="alert alert--success" role="status">
            Preferences saved.
          </p>
        )}
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save preferences"}
        </button>
      </form>
    </section>
  );
}
