/**
 * The Eastron SDM630 input registers chargemesh reads (function 0x04), each an IEEE 754 float32
 * over two big-endian registers. Float32 resolves 1 Wh only up to ~16,777 kWh of import; beyond it the
 * meter's own format loses Wh resolution (a known limit of this meter family, not of chargemesh).
 */
export const SDM630 = {
  /** Total system power, W. */
  totalSystemPowerW: 0x0034,
  /** Total import active energy, kWh. */
  totalImportKWh: 0x0048,
} as const;
