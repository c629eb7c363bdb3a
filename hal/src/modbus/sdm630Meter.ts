import ModbusSerial from "modbus-serial";

// modbus-serial is CommonJS: under NodeNext its default import is the module object; the class is on it.
const ModbusClient = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusClient>;
import type { Clock, MeterId } from "@chargemesh/shared-model";
import type { Meter, MeterFaultCode, MeterReadResult } from "../meter.js";
import { SDM630 } from "./sdm630Registers.js";

export interface Sdm630Options {
  readonly path: string;
  readonly unitId: number;
  readonly baudRate: number;
  /** How long one request may take before it is a `meter_timeout`, ms. */
  readonly timeoutMs: number;
}

/**
 * An Eastron SDM630 on Modbus RTU over a serial line (modbus-serial + serialport). Every failure is a
 * fault code: no answer (meter_timeout), a bad CRC (meter_crc_error), an exception or malformed answer
 * (meter_bad_response), a missing or vanished device (meter_disconnected: the port is reopened on the
 * next read), a register below the last one (meter_register_regressed). `read` never throws.
 */
export class Sdm630Meter implements Meter {
  private client: ModbusRTU | null = null;
  private lastWh = -1;
  private closed = false;

  constructor(
    readonly id: MeterId,
    private readonly opts: Sdm630Options,
    private readonly clock: Clock,
  ) {}

  async read(): Promise<MeterReadResult> {
    if (this.closed) return { ok: false, fault: "meter_disconnected", message: "meter closed" };
    const client = await this.connect();
    if (!client.ok) return client;
    try {
      const energy = await client.value.readInputRegisters(SDM630.totalImportKWh, 2);
      const power = await client.value.readInputRegisters(SDM630.totalSystemPowerW, 2);
      const kWh = energy.buffer.readFloatBE(0);
      const w = power.buffer.readFloatBE(0);
      if (!Number.isFinite(kWh) || kWh < 0 || !Number.isFinite(w))
        return { ok: false, fault: "meter_bad_response", message: `unusable values ${kWh} kWh, ${w} W` };
      // The meter's float32 kWh becomes integer Wh here, at the hardware boundary, and nowhere else.
      const registerWh = Math.round(kWh * 1000);
      if (registerWh < this.lastWh)
        return {
          ok: false,
          fault: "meter_register_regressed",
          message: `register ${registerWh} Wh below ${this.lastWh} Wh`,
        };
      this.lastWh = registerWh;
      return { ok: true, reading: { registerWh, powerW: Math.round(w), atMs: this.clock.now() } };
    } catch (e) {
      return this.fault(e);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private async connect(): Promise<
    { ok: true; value: ModbusRTU } | { ok: false; fault: MeterFaultCode; message: string }
  > {
    if (this.client?.isOpen) return { ok: true, value: this.client };
    await this.drop();
    const client = new ModbusClient();
    try {
      await client.connectRTUBuffered(this.opts.path, { baudRate: this.opts.baudRate });
    } catch (e) {
      return {
        ok: false,
        fault: "meter_disconnected",
        message: `cannot open ${this.opts.path}: ${(e as Error).message}`,
      };
    }
    client.setID(this.opts.unitId);
    client.setTimeout(this.opts.timeoutMs);
    // A vanished device makes the client emit "error" (EIO on the pty): never a crash; the next read
    // finds the port closed and reconnects.
    (client as unknown as NodeJS.EventEmitter).on("error", () => {
      if (this.client === client) void this.drop();
    });
    this.client = client;
    return { ok: true, value: client };
  }

  private fault(e: unknown): MeterReadResult {
    const err = e as { name?: string; message?: string; modbusCode?: number; errno?: string };
    const message = String(err?.message ?? e);
    if (err?.name === "TransactionTimedOutError" || /timed out/i.test(message))
      return { ok: false, fault: "meter_timeout", message };
    if (/crc/i.test(message)) return { ok: false, fault: "meter_crc_error", message };
    if (err?.modbusCode !== undefined || /exception|illegal/i.test(message))
      return { ok: false, fault: "meter_bad_response", message };
    void this.drop();
    return { ok: false, fault: "meter_disconnected", message };
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
  }
}
