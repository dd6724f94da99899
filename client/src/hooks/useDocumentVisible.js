/** Whether the page is visible (not a background tab or a minimised window), kept current. */
import { useEffect, useState } from "react";

function visibleNow() {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

export function useDocumentVisible() {
  const [visible, setVisible] = useState(visibleNow);
  useEffect(() => {
    const onChange = () => setVisible(visibleNow());
    document.addEventListener("visibilitychange", onChange);
    return () => document.removeEventListener("visibilitychange", onChange);
  }, []);
  return visible;
}
