import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { bellLabel, formatBadge, NotificationBell } from "./NotificationBell.jsx";

describe("NotificationBell", () => {
  it("is a button named Notifications with the unread count", () => {
    render(<NotificationBell count={3} />);

    expect(screen.getByRole("button", { name: "Notifications, 3 unread" })).toBeInTheDocument();
    expect(screen.getByTestId("unread-badge")).toHaveTextContent(/^3$/);
  });

  it("caps the badge at 99+ but keeps the exact count in its name", () => {
    render(<NotificationBell count={150} />);

    expect(screen.getByTestId("unread-badge")).toHaveTextContent(/^99\+$/);
    expect(screen.getByRole("button", { name: /Notifications/ })).toHaveAccessibleName("Notifications, 150 unread");
  });

  it("shows 99 itself, not 99+", () => {
    render(<NotificationBell count={99} />);
    expect(screen.getByTestId("unread-badge")).toHaveTextContent(/^99$/);
  });

  it("shows no badge when everything is read", () => {
    render(<NotificationBell count={0} />);

    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Notifications" })).toBeInTheDocument();
  });

  it("hides the badge from screen readers, since the name already says it", () => {
    render(<NotificationBell count={2} />);
    expect(screen.getByTestId("unread-badge")).toHaveAttribute("aria-hidden", "true");
  });

  it("reports whether its panel is open and calls onClick", async () => {
    const onClick = vi.fn();
    const { rerender } = render(<NotificationBell count={1} onClick={onClick} />);
    const bell = screen.getByRole("button", { name: /Notifications/ });
    expect(bell).toHaveAttribute("aria-expanded", "false");
    expect(bell).toHaveAttribute("aria-controls", "notification-panel");

    await userEvent.click(bell);
    rerender(<NotificationBell count={1} onClick={onClick} expanded />);

    expect(onClick).toHaveBeenCalledTimes(1);
    expect(bell).toHaveAttribute("aria-expanded", "true");
  });

  it("formats counts and labels", () => {
    expect(formatBadge(1)).toBe("1");
    expect(formatBadge(100)).toBe("99+");
    expect(bellLabel(0)).toBe("Notifications");
    expect(bellLabel(4)).toBe("Notifications, 4 unread");
  });
});
