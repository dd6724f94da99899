/**
 * The conversation on an order between its customer and the shop: the messages (oldest first, earlier
 * ones on request), live, and a box to write one.
 *
 * Unread messages are marked "New": those from the other side that arrived while the page was open, and
 * those whose `message` notification is still unread in the bell (so what was read on another device is
 * not new here). While the page is visible, the bell's notifications about this conversation are marked
 * read: the conversation is where they are read. The marks stay for this visit, until the user replies.
 * Text is shown as typed, as text (React escapes it); line breaks are kept by CSS.
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useAuth } from "../auth/AuthContext.jsx";
import { currentLocale } from "../i18n/index.js";
import { formatDateTime } from "../i18n/format.js";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { useMutation } from "../hooks/useApiQuery.js";
import { useDocumentVisible } from "../hooks/useDocumentVisible.js";
import { useNotificationCenter } from "../notifications/NotificationsContext.jsx";
import { MAX_CHARS, sendMessage } from "./api.js";
import { useConversation } from "./useConversation.js";

// The author's role as shown (`conversation.role_<role>`): staff and admins are both the shop's team.
const ROLE_KEY = { customer: "role_customer", staff: "role_team", admin: "role_team" };

function messageNotesAbout(items, orderId) {
  return items.filter((n) => n.type === "message" && !n.is_read && Number(n.data?.order_id) === orderId);
}

export function Conversation({ orderId }) {
  const { user } = useAuth();
  const { items: notifications, markRead } = useNotificationCenter();
  const visible = useDocumentVisible();
  const [marked, setMarked] = useState(() => new Set());
  const onArrival = useCallback(
    (message) => {
      if (message.from?.id !== user?.id) setMarked((prev) => new Set(prev).add(message.id));
    },
    [user?.id],
  );
  const { data, error, isLoading, isLoadingEarlier, refetch, loadEarlier, add } = useConversation(orderId, { onArrival });

  // The bell's unread notifications about this conversation: their messages are new to this user.
  const unreadNotes = messageNotesAbout(notifications, orderId);
  const newFromBell = unreadNotes.map((n) => Number(n.data?.message_id)).filter((id) => !marked.has(id));
  if (newFromBell.length) setMarked((prev) => new Set([...prev, ...newFromBell])); // adjusted while rendering

  const noteIds = unreadNotes.map((n) => n.id).join(",");
  useEffect(() => {
    if (!visible || isLoading || !noteIds) return;
    for (const id of noteIds.split(",")) markRead(Number(id));
  }, [visible, isLoading, noteIds, markRead]);

  const { messages, hasEarlier } = data;
  const newCount = messages.filter((m) => marked.has(m.id) && m.from?.id !== user?.id).length;
  const { t } = useTranslation();

  return (
    <section className="conversation" aria-labelledby="conversation-title" data-testid="conversation">
      <h2 id="conversation-title">
        {t("conversation.title")}
        {newCount > 0 && (
          <span className="conversation__count" data-testid="conversation-new-count">
            {t("conversation.new_count", { count: newCount })}
          </span>
        )}
      </h2>
      {isLoading ? (
        <p className="muted">{t("conversation.loading")}</p>
      ) : error && !messages.length ? (
        <div>
          <ErrorMessage error={error} />
          <button type="button" className="button button--secondary" onClick={() => refetch()}>
            {t("common.try_again")}
          </button>
        </div>
      ) : (
        <MessageList
          messages={messages}
          me={user?.id}
          marked={marked}
          hasEarlier={hasEarlier}
          isLoadingEarlier={isLoadingEarlier}
          onLoadEarlier={loadEarlier}
          error={messages.length ? error : null}
        />
      )}
      <Compose
        orderId={orderId}
        onSent={(message) => {
          add(message, { live: false });
          setMarked(new Set()); // a reply means everything before it was read
        }}
      />
    </section>
  );
}

function MessageList({ messages, me, marked, hasEarlier, isLoadingEarlier, onLoadEarlier, error }) {
  const list = useRef(null);
  const newestId = messages.length ? messages[messages.length - 1].id : null;
  const { t } = useTranslation();
  // Follow the newest message (not when earlier ones are added at the top).
  useLayoutEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [newestId]);

  if (!messages.length) {
    return (
      <p className="conversation__empty muted" data-testid="conversation-empty">
        {t("conversation.empty")}
      </p>
    );
  }
  return (
    <>
      {hasEarlier && (
        <p>
          <button type="button" className="link-button" onClick={onLoadEarlier} disabled={isLoadingEarlier}>
            {isLoadingEarlier ? t("conversation.loading_earlier") : t("conversation.show_earlier")}
          </button>
        </p>
      )}
      <ErrorMessage error={error} />
      <ol className="messages" ref={list} aria-label={t("conversation.messages")} data-testid="messages">
        {messages.map((message) => {
          const mine = message.from?.id === me;
          const isNew = !mine && marked.has(message.id);
          return (
            <li
              key={message.id}
              className={`message message--${mine ? "mine" : "theirs"}${isNew ? " message--new" : ""}`}
              data-testid="message"
              data-id={message.id}
              data-unread={isNew ? "true" : "false"}
            >
              <p className="message__meta">
                <span className="message__author">{mine ? t("conversation.you") : message.from?.name || t("conversation.someone")}</span>
                {!mine && <span className="message__role">{ROLE_KEY[message.from?.role] ? t(`conversation.${ROLE_KEY[message.from.role]}`) : ""}</span>}
                <time className="message__time" dateTime={message.at}>
                  {formatDateTime(message.at, currentLocale())}
                </time>
                {isNew && <span className="message__new">{t("conversation.new")}</span>}
              </p>
              <p className="message__text">{message.text}</p>
            </li>
          );
        })}
      </ol>
    </>
  );
}

function Compose({ orderId, onSent }) {
  const [draft, setDraft] = useState("");
  const send = useMutation((text) => sendMessage(orderId, text));
  const inputId = useId();
  const countId = useId();
  const length = draft.trim().length;
  const over = length > MAX_CHARS;
  const { t } = useTranslation();
  const number = new Intl.NumberFormat(currentLocale());

  const submit = async (event) => {
    event.preventDefault();
    if (!length || over || send.isPending) return;
    const message = await send.mutate(draft.trim());
    if (message && typeof message === "object") {
      setDraft("");
      onSent(message);
    }
  };

  return (
    <form className="compose" onSubmit={submit} aria-label={t("conversation.compose_label")}>
      <label htmlFor={inputId} className="compose__label">
        {t("conversation.your_message")}
      </label>
      <textarea
        id={inputId}
        className="compose__input"
        rows={3}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
        }}
        aria-describedby={countId}
        aria-invalid={over || undefined}
        placeholder={t("conversation.placeholder")}
      />
      <div className="compose__footer">
        <span id={countId} className={`compose__count${over ? " compose__count--over" : ""}`}>
          {over
            ? t("conversation.too_long", { count: length - MAX_CHARS, number: number.format(length - MAX_CHARS) })
            : `${number.format(length)} / ${number.format(MAX_CHARS)}`}
        </span>
        <button type="submit" className="button" disabled={!length || over || send.isPending}>
          {send.isPending ? t("conversation.sending") : t("conversation.send")}
        </button>
      </div>
      <ErrorMessage error={send.error} />
    </form>
  );
}
