import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";
import { ToastRegion } from "./Toasts.jsx";

function toast(overrides) {
  const notification = makeNotification(overrides);
  return { id: notification.id, notification };
}

/** The region with its own state, the way the provider drives it. */
function Harness({ initial = [], onOpen }) {
  const [toasts, setToasts] = useState(initial);
  return <ToastRegion toasts={toasts} onDismiss={(id) => setToasts((list) => list.filter((t) => t.id !== id))} onOpen={onOpen} />;
}

describe("ToastRegion", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("is a polite live region that exists before any toast, so additions are announced", () => {
    render(<Harness />);
    const region = screen.getByTestId("toasts");

    expect(region).toHaveAttribute("aria-live", "polite");
    expect(region).toHaveAttribute("role", "status");
    expect(region).toBeEmptyDOMElement();
  });

  it("shows each toast's title and message", () => {
    render(<Harness initial={[toast({ id: 1, title: "Order #5 shipped", message: "Tracking 1Z999" })]} />);

    const item = screen.getByTestId("toast");
    expect(item).toHaveTextContent("Order #5 shipped");
    expect(item).toHaveTextContent("Tracking 1Z999");
  });

  it("dismisses itself after six seconds", () => {
    render(<Harness initial={[toast({ id: 1 })]} />);

    act(() => vi.advanceTimersByTime(5999));
    expect(screen.getByTestId("toast")).toBeInTheDocument();

    act(() => vi.advanceTimersByTime(1));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("pauses while hovered and resumes with the time that was left", () => {
    render(<Harness initial={[toast({ id: 1 })]} />);
    act(() => vi.advanceTimersByTime(4000));

    fireEvent.mouseEnter(screen.getByTestId("toasts"));
    act(() => vi.advanceTimersByTime(30_000));
    expect(screen.getByTestId("toast")).toBeInTheDocument();

    fireEvent.mouseLeave(screen.getByTestId("toasts"));
    act(() => vi.advanceTimersByTime(1999));
    expect(screen.getByTestId("toast")).toBeInTheDocument();
    act(() => vi.advanceTimersByTime(1));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("pauses while keyboard focus is inside", () => {
    render(<Harness initial={[toast({ id: 1, title: "Hello" })]} />);
    const close = screen.getByRole("button", { name: "Dismiss: Hello" });

    act(() => close.focus());
    act(() => vi.advanceTimersByTime(20_000));
    expect(screen.getByTestId("toast")).toBeInTheDocument();

    act(() => close.blur());
    act(() => vi.advanceTimersByTime(6000));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("closes with its close button", () => {
    render(<Harness initial={[toast({ id: 1, title: "A" }), toast({ id: 2, title: "B" })]} />);

    fireEvent.click(screen.getByRole("button", { name: "Dismiss: A" }));

    expect(screen.getAllByTestId("toast")).toHaveLength(1);
    expect(screen.getByTestId("toast")).toHaveTextContent("B");
  });

  it("offers View for a notification about an order", () => {
    const onOpen = vi.fn();
    const t = toast({ id: 1, data: { order_id: 5 } });
    render(<Harness initial={[t]} onOpen={onOpen} />);

    fireEvent.click(within(screen.getByTestId("toast")).getByRole("button", { name: "View" }));

    expect(onOpen).toHaveBeenCalledWith(t.notification);
  });
});

describe("Toasts in the app", () => {
  beforeEach(() => {
    signIn();
    installFetch().on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  });

  it("keeps at most three, dropping the oldest, however many arrive", async () => {
    const { socketFactory } = renderApp("/orders");
    await act(async () => {
      await socketFactory.last().serverConnect();
    });

    act(() => {
      for (let i = 1; i <= 5; i += 1) socketFactory.last().fire("notification", makeNotification({ id: 900 + i, title: `Toast ${i}` }));
    });

    const shown = await screen.findAllByTestId("toast");
    expect(shown.map((t) => t.querySelector(".toast__title").textContent)).toEqual(["Toast 3", "Toast 4", "Toast 5"]);
    expect(screen.getByRole("button", { name: "Notifications, 5 unread" })).toBeInTheDocument();
  });
});
