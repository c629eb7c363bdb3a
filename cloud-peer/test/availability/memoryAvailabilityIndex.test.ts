import { MemoryAvailabilityIndex } from "../../src/availability/memoryAvailabilityIndex.js";
import { availabilityIndexSuite } from "./availabilityIndexSuite.js";

availabilityIndexSuite("memory", async () => new MemoryAvailabilityIndex(15_000, 3));
