import { useEffect, useState } from "react";
import { CloudCallError } from "../api/cloudClient.js";

/** Loads once per `deps` change (and every `everyMs` when given); the value, or the error message. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  everyMs?: number,
): { value: T | null; error: string | null } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const run = () =>
      load().then(
        (v) => {
          if (!cancelled) {
            setValue(v);
            setError(null);
          }
        },
        (e) => {
          if (!cancelled) setError(e instanceof CloudCallError ? e.message : String(e));
        },
      );
    void run();
    const t = everyMs ? setInterval(run, everyMs) : null;
    return () => {
      cancelled = true;
      if (t) clearInterval(t);
    };
  }, deps);
  return { value, error };
}
