import type { NetworkSnapshot, NetworkUrls } from "./networkSupervisor.js";
import { printUrls, urlText } from "./printUrls.js";
import { runningSummary } from "./runningSummary.js";
import type { ChildEvent } from "./supervisedChild.js";

/**
 * What `npm start` tells the person at the console: the URLs at start, the running summary, and
 * every crash and restart. As text, or as JSON lines (`--json`: one object with an `event` field per
 * line). Writing never throws (a closed stream loses the text).
 */
export class ConsoleReport {
  /** Set while the network stops: processes exiting then are expected and not reported. */
  stopping = false;

  constructor(
    private readonly json: boolean,
    private readonly out: NodeJS.WritableStream,
  ) {}

  urls(heading: string, n: NetworkUrls): void {
    const urls = printUrls(n);
    if (this.json) return this.write({ event: "urls", heading, urls });
    this.lines([heading, ...urlText(urls), "  Ctrl-C to stop", ""]);
  }

  summary(s: NetworkSnapshot): void {
    if (this.json) return this.write({ event: "summary", ...s });
    this.lines([...runningSummary(s), ""]);
  }

  child(e: ChildEvent): void {
    if (this.json) return this.write({ event: "child", ...e });
    if (e.kind === "exited" && !this.stopping)
      this.lines([
        `${e.name} (pid ${e.pid}) exited: ${e.signal ? `signal ${e.signal}` : `code ${e.code}`}${e.lastLine ? `; last output: ${e.lastLine.slice(0, 300)}` : ""}`,
      ]);
    if (e.kind === "restarting")
      this.lines([`${e.name}: restarting in ${e.inMs / 1000} s (restart ${e.restarts})`]);
    if (e.kind === "ready" && e.start > 1) this.lines([`${e.name} is back (pid ${e.pid})`]);
    if (e.kind === "gave-up") this.lines([`${e.name}: giving up: ${e.reason}`]);
  }

  note(text: string): void {
    if (this.json) return this.write({ event: "note", text });
    this.lines([text]);
  }

  private write(o: object): void {
    this.lines([JSON.stringify(o)]);
  }

  private lines(lines: readonly string[]): void {
    try {
      this.out.write(`${lines.join("\n")}\n`);
    } catch {
      // The console went away (a closed pipe); the processes keep running and logging to files.
    }
  }
}
