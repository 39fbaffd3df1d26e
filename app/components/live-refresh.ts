// Live refresh for pages that show work in progress (the sync queue, a
// member's sync): while `active`, the route's loaders run again every
// `intervalMs` through Remix's revalidator. No reload, no navigation: the
// components keep their state (an IndexTable's selection, a half-typed
// search). Nothing is asked while the document is hidden, or while a
// navigation or another revalidation is under way; it stops as soon as the
// loader says there is nothing left in progress.
import { useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";

export function useLiveRefresh(active: boolean, intervalMs = 3_000) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const busy = useRef(false);
  busy.current = revalidator.state !== "idle" || navigation.state !== "idle";
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;

  useEffect(() => {
    if (!active) return;
    const tick = () => {
      if (document.visibilityState === "visible" && !busy.current) revalidate.current();
    };
    const timer = setInterval(tick, intervalMs);
    // Back from a hidden tab: catch up at once rather than at the next tick.
    const onVisible = () => {
      if (document.visibilityState === "visible") tick();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [active, intervalMs]);
}
