import { describe, expect, it } from "vitest";
import { parseNetworkFlags } from "../src/networkFlags.js";

describe("npm start's flags", () => {
  it("defaults to two sites of 20 stalls at 60x on port 8710", () => {
    const r = parseNetworkFlags([]);
    expect(r.ok && r.value).toMatchObject({
      sites: 2,
      stalls: 20,
      vehicles: 300,
      ocppStalls: 2,
      speed: 60,
      decliningDrivers: 1,
      port: 8710,
      seconds: null,
      json: false,
      jsonLogs: false,
    });
  });

  it("puts at most as many OCPP chargers as stalls by default", () => {
    const r = parseNetworkFlags(["--stalls", "1"]);
    expect(r.ok && r.value).toMatchObject({ stalls: 1, ocppStalls: 1 });
  });

  it("accepts valid numbers and switches", () => {
    const r = parseNetworkFlags([
      "--sites",
      "3",
      "--speed=600",
      "--port",
      "0",
      "--seconds",
      "9",
      "--json",
      "--json-logs",
      "--declining-drivers",
      "0",
    ]);
    expect(r.ok && r.value).toMatchObject({
      decliningDrivers: 0,
      sites: 3,
      speed: 600,
      port: 0,
      seconds: 9,
      json: true,
      jsonLogs: true,
    });
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--stalls", "abc"], /--stalls must be an integer from 1 to 200, not "abc"/],
    [["--speed=-1"], /--speed must be an integer/],
    [["--declining-drivers", "21"], /--declining-drivers must be an integer from 0 to 20, not 21/],
    [["--speed", "-1"], /--speed/],
    [["--speed", "1.5"], /--speed must be an integer/],
    [["--speed", "0"], /--speed must be an integer from 1 to 100000, not 0/],
    [["--sites", "21"], /--sites must be an integer from 1 to 20/],
    [["--port", "80"], /--port must be 0 or 1024-65434/],
    [["--port", "65500"], /--port must be an integer from 0 to 65434/],
    [["--seconds", ""], /--seconds must be an integer/],
    [["--stalls", "1e3"], /--stalls must be an integer/],
    [["--data", " "], /--data must name a directory/],
    [["--stalls", "3", "--ocpp-stalls", "4"], /--ocpp-stalls must not exceed --stalls/],
    [["--ocpp-stalls=-1"], /--ocpp-stalls must be an integer/],
    [["--ocpp-stalls", "x"], /--ocpp-stalls must be an integer/],
    [["extra"], /positional/i],
    [["--sites"], /argument missing/],
  ])("rejects %j with a message naming the flag", (argv, message) => {
    const r = parseNetworkFlags(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("invalid_input");
      expect(r.error.message).toMatch(message);
    }
  });
});
