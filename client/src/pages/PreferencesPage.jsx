/**
 * Notification preferences: per type the user may receive, a switch per channel (in the app, e-mail,
 * push), the interests that decide which promotions arrive, and this device's Web Push. The types,
 * labels, descriptions, channels and which are always on in the app come from
 * GET /api/notifications/types; only what the user changed is saved (PUT is partial).
 */
import { useEffect, useState } from "react";
import { ErrorMessage, FieldError } from "../components/ErrorMessage.jsx";
import { useApiQuery, useMutation } from "../hooks/useApiQuery.js";
import { savePreferences } from "../notifications/api.js";
import { useNotificationTypes } from "../notifications/NotificationTypes.jsx";
import { DevicePushSwitch } from "../push/DevicePushSwitch.jsx";

const SUGGESTED = ["paper", "ink", "pens", "furniture", "organisation", "printers"];
const IN_APP = "in_app";
const CHANNELS = [
  { name: IN_APP, label: "In app" },
  { name: "email", label: "E-mail" },
  { name: "push", label: "Push" },
];

/** The entries of `edited` that differ from `saved`. */
function changes(edited, saved) {
  return Object.fromEntries(Object.entries(edited).filter(([key, value]) => saved?.[key] !== value));
}

function sameTags(a, b) {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

/** The PUT body: only the switches and interests that changed since the last load or save. */
function partialBody(saved, edits, interests) {
  const body = {};
  const types = changes(edits.types, saved.types);
  if (Object.keys(types).length) body.types = types;
  const channels = Object.fromEntries(
    Object.entries(edits.channels)
      .map(([channel, values]) => [channel, changes(values, saved.channels?.[channel])])
      .filter(([, values]) => Object.keys(values).length),
  );
  if (Object.keys(channels).length) body.channels = channels;
  if (!sameTags(interests, saved.interests ?? [])) body.interests = interests;
  return body;
}

export function PreferencesPage() {
  const catalogue = useNotificationTypes();
  const prefs = useApiQuery("/api/notifications/preferences");
  // What the server holds: as loaded, then as the last save answered.
  const [savedPrefs, setSavedPrefs] = useState(null);
  const saved = savedPrefs ?? prefs.data ?? {};
  // Local edits on top of it: switches changed ({type: bool}, per channel too) and the interests (null: as saved).
  const [edits, setEdits] = useState({ types: {}, channels: {} });
  const [editedInterests, setInterests] = useState(null);
  const interests = editedInterests ?? saved.interests ?? [];
  const [draft, setDraft] = useState("");
  const [done, setDone] = useState(false);
  const save = useMutation((body) => savePreferences(body));

  useEffect(() => {
    document.title = "Preferences · NovaCart";
  }, []);

  const shownTypes = catalogue.data ?? [];
  const columns = CHANNELS.filter(({ name }) => name === IN_APP || shownTypes.some((kind) => kind.channels?.includes(name)));

  const isOn = (channel, type) => {
    if (channel === IN_APP) return (edits.types[type] ?? saved.types?.[type]) !== false;
    return (edits.channels[channel]?.[type] ?? saved.channels?.[channel]?.[type]) === true;
  };
  const setSwitch = (channel, type, on) => {
    setEdits((current) =>
      channel === IN_APP
        ? { ...current, types: { ...current.types, [type]: on } }
        : { ...current, channels: { ...current.channels, [channel]: { ...current.channels[channel], [type]: on } } },
    );
    setDone(false);
  };

  const addInterest = (value) => {
    const tag = value.trim().toLowerCase();
    if (!tag || interests.includes(tag)) return;
    setInterests([...interests, tag]);
    setDone(false);
  };

  const submit = async (event) => {
    event.preventDefault();
    setDone(false);
    const tag = draft.trim().toLowerCase();
    const nextInterests = tag && !interests.includes(tag) ? [...interests, tag] : interests;
    setInterests(nextInterests);
    setDraft("");
    const result = await save.mutate(partialBody(saved, edits, nextInterests));
    if (result) {
      setDone(true);
      if (typeof result === "object") {
        setSavedPrefs(result);
        setEdits({ types: {}, channels: {} });
        setInterests(null);
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
      {columns.some(({ name }) => name === "push") && <DevicePushSwitch />}
      <form onSubmit={submit} className="form form--wide">
        <fieldset className="prefs__types">
          <legend>What to notify me about, and how</legend>
          <p className="field__hint">
            E-mail and push are for what you miss: they bring a notification only when no open NovaCart page showed it in time.
          </p>
          <table className="channel-table">
            <thead>
              <tr>
                <th scope="col">Notification</th>
                {columns.map(({ name, label }) => (
                  <th scope="col" key={name}>
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shownTypes.map(({ type, label, description, always_on: locked, channels = [] }) => {
                const name = label || type;
                const inApp = locked || isOn(IN_APP, type);
                return (
                  <tr key={type} data-type={type}>
                    <th scope="row">
                      <span className="channel-table__type">{name}</span>
                      <span className="field__hint" id={`pref-${type}-help`}>
                        {description}
                        {locked && " Always on in the app."}
                        {!inApp && " Off: nothing is sent."}
                      </span>
                      <FieldError error={save.error} name={`types.${type}`} />
                    </th>
                    {columns.map((column) => {
                      if (column.name !== IN_APP && !channels.includes(column.name)) {
                        return (
                          <td key={column.name}>
                            <span aria-hidden="true">—</span>
                            <span className="sr-only">{`Not sent by ${column.label.toLowerCase()}`}</span>
                          </td>
                        );
                      }
                      const app = column.name === IN_APP;
                      const checked = app ? inApp : inApp && isOn(column.name, type);
                      return (
                        <td key={column.name}>
                          <input
                            type="checkbox"
                            role="switch"
                            id={app ? `pref-${type}` : `pref-${column.name}-${type}`}
                            className="switch"
                            aria-label={`${column.label} for ${name}`}
                            checked={checked}
                            aria-checked={checked}
                            disabled={app ? locked : !inApp}
                            aria-describedby={`pref-${type}-help`}
                            onChange={(e) => setSwitch(column.name, type, e.target.checked)}
                          />
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <FieldError error={save.error} name="channels" />
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
                    setDone(false);
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
        {done && (
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
