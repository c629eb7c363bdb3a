import { SerialPort } from "serialport";
import { SDM630 } from "./sdm630Registers.js";
import { modbusCrc, withCrc } from "./modbusCrc.js";

export type SimulatorFault = "none" | "silent" | "bad_crc" | "exception";

/**
 * A simulated Eastron SDM630 speaking Modbus RTU on a real serial port (one end of a socat pty pair
 * in tests): answers function 0x04 for the power and import-energy registers, and can be told to be
 * silent, to corrupt its CRC or to answer with an exception.
 */
export class Sdm630Simulator {
  private buffer = new Uint8Array(0);
  fault: SimulatorFault = "none";
  importWh = 0;
  powerW = 0;

  private constructor(
    private readonly port: SerialPort,
    readonly unitId: number,
  ) {
    port.on("data", (chunk: Buffer) => this.onData(chunk));
  }

  /** Opens `path` and starts answering. Rejects when the port cannot be opened. */
  static open(path: string, unitId = 1, baudRate = 9600): Promise<Sdm630Simulator> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((e) => (e ? reject(e) : resolve(new Sdm630Simulator(port, unitId))));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  private onData(chunk: Buffer): void {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer);
    merged.set(chunk, this.buffer.length);
    this.buffer = merged;
    // A read-input-registers request is exactly 8 bytes; resynchronise on anything else.
    while (this.buffer.length >= 8) {
      const frame = this.buffer.subarray(0, 8);
      const crc = frame[6]! | (frame[7]! << 8);
      if (modbusCrc(frame.subarray(0, 6)) !== crc) {
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      this.buffer = this.buffer.subarray(8);
      this.answer(frame);
    }
  }

  private answer(req: Uint8Array): void {
    if (req[0] !== this.unitId || this.fault === "silent") return;
    const fc = req[1]!;
    const addr = (req[2]! << 8) | req[3]!;
    const qty = (req[4]! << 8) | req[5]!;
    const value =
      addr === SDM630.totalImportKWh
        ? this.importWh / 1000
        : addr === SDM630.totalSystemPowerW
          ? this.powerW
          : null;
    if (this.fault === "exception" || fc !== 0x04 || qty !== 2 || value === null) {
      this.port.write(Buffer.from(withCrc(Uint8Array.of(this.unitId, fc | 0x80, 0x02))));
      return;
    }
    const data = new DataView(new ArrayBuffer(4));
    data.setFloat32(0, value, false);
    const frame = withCrc(Uint8Array.of(this.unitId, 0x04, 4, ...new Uint8Array(data.buffer)));
    if (this.fault === "bad_crc") frame[frame.length - 1]! ^= 0xff;
    this.port.write(Buffer.from(frame));
  }
}
