/**
 * Notification preferences: per type the user may receive, a switch per channel (in the app, e-mail,
 * push), the interests that decide which promotions arrive, and this device's Web Push. The types,
 * labels, descriptions, channels and which are always on in the app come from
 * GET /api/notifications/types; only what the user changed is saved (PUT is partial).
 */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorMessage, FieldError } from "../components/ErrorMessage.jsx";
import { useApiQuery, useMutation } from "../hooks/useApiQuery.js";
import { savePreferences } from "../notifications/api.js";
import { useNotificationTypes } from "../notifications/NotificationTypes.jsx";
import { DevicePushSwitch } from "../push/DevicePushSwitch.jsx";

const SUGGESTED = ["paper", "ink", "pens", "furniture", "organisation", "printers"];
const IN_APP = "in_app";
// Each channel's column is headed by the catalog's `prefs.channel_<name>`.
const CHANNELS = [{ name: IN_APP }, { name: "email" }, { name: "push" }];

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
  const { t, i18n } = useTranslation();
  // A suggested topic is shown in the client's language; its tag (what promotions carry) stays as is.
  const topic = (tag) => (SUGGESTED.includes(tag) ? t(`prefs.topic_${tag}`) : tag);
  // Typed text to a tag: a suggested topic's name in this language is that topic's tag.
  const toTag = (value) => {
    const typed = value.trim().toLowerCase();
    return SUGGESTED.find((s) => topic(s).toLowerCase() === typed) ?? typed;
  };

  useEffect(() => {
    document.title = `${t("header.preferences")} · NovaCart`;
  }, [t, i18n.language]);

  const shownTypes = catalogue.data ?? [];
  const columns = CHANNELS.filter(({ name }) => name === IN_APP || shownTypes.some((kind) => kind.channels?.includes(name))).map((c) => ({
    ...c,
    label: t(`prefs.channel_${c.name}`),
  }));

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
    const tag = toTag(value);
    if (!tag || interests.includes(tag)) return;
    setInterests([...interests, tag]);
    setDone(false);
  };

  const submit = async (event) => {
    event.preventDefault();
    setDone(false);
    const tag = toTag(draft);
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

  if (prefs.isLoading || catalogue.isLoading) return <p className="muted">{t("prefs.loading")}</p>;
  const failed = [prefs, catalogue].filter((query) => query.error && !query.data);
  if (failed.length) {
    return (
      <section>
        <h1>{t("prefs.title")}</h1>
        <ErrorMessage error={failed[0].error} />
        <button type="button" className="link-button" onClick={() => failed.forEach((query) => query.refetch())}>
          {t("common.try_again")}
        </button>
      </section>
    );
  }

  return (
    <section aria-labelledby="prefs-title" className="prefs">
      <h1 id="prefs-title">{t("prefs.title")}</h1>
      {columns.some(({ name }) => name === "push") && <DevicePushSwitch />}
      <form onSubmit={submit} className="form form--wide">
        <fieldset className="prefs__types">
          <legend>{t("prefs.types_legend")}</legend>
          <p className="field__hint">
            {t("prefs.types_hint")}
          </p>
          <table className="channel-table">
            <thead>
              <tr>
                <th scope="col">{t("prefs.notification")}</th>
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
                        {locked && ` ${t("prefs.always_on")}`}
                        {!inApp && ` ${t("prefs.off")}`}
                      </span>
                      <FieldError error={save.error} name={`types.${type}`} />
                    </th>
                    {columns.map((column) => {
                      if (column.name !== IN_APP && !channels.includes(column.name)) {
                        return (
                          <td key={column.name}>
                            <span aria-hidden="true">—</span>
                            <span className="sr-only">{t(`prefs.not_sent_${column.name}`)}</span>
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
                            aria-label={t("prefs.switch_label", { channel: column.label, type: name })}
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
          <legend>{t("prefs.interests")}</legend>
          <p className="field__hint">{t("prefs.interests_hint")}</p>
          <ul className="tags" aria-label={t("prefs.your_interests")}>
            {interests.length === 0 && <li className="muted">{t("prefs.no_interests")}</li>}
            {interests.map((tag) => (
              <li key={tag} className="tag">
                {topic(tag)}
                <button
                  type="button"
                  className="tag__remove"
                  aria-label={t("prefs.remove_interest", { tag: topic(tag) })}
                  onClick={() => {
                    setInterests(interests.filter((other) => other !== tag));
                    setDone(false);
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <div className="field field--inline">
            <label htmlFor="interest-input">{t("prefs.add_interest")}</label>
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
                <option key={s} value={topic(s)} />
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
              {t("prefs.add")}
            </button>
          </div>
          <p className="suggestions">
            {t("prefs.suggestions")}{" "}
            {SUGGESTED.filter((s) => !interests.includes(s)).map((s) => (
              <button key={s} type="button" className="chip" onClick={() => addInterest(s)} aria-label={t("prefs.add_interest_named", { tag: topic(s) })}>
                + {topic(s)}
              </button>
            ))}
          </p>
          <FieldError error={save.error} name="interests" />
        </fieldset>

        <ErrorMessage error={save.error} />
        {done && (
          <p className="alert alert--success" role="status">
            {t("prefs.saved")}
          </p>
        )}
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? t("prefs.saving") : t("prefs.save")}
        </button>
      </form>
    </section>
  );
}
