import { expect, test } from "vitest";
import { technicianId } from "@chargemesh/shared-model";
import { technicianFromToken, technicianTokenDigest } from "../../src/api/technicianAuth.js";

test("a technician credential resolves to its technician, anything else to null", () => {
  const techs = [
    { id: technicianId("alice"), tokenSha256: technicianTokenDigest("alice-secret") },
    { id: technicianId("bob"), tokenSha256: technicianTokenDigest("bob-secret") },
  ];
  expect(technicianFromToken("bob-secret", techs)).toBe("bob");
  expect(technicianFromToken("alice-secret", techs)).toBe("alice");
  expect(technicianFromToken("alice-secreT", techs)).toBeNull();
  expect(technicianFromToken("", techs)).toBeNull();
  expect(technicianFromToken(null, techs)).toBeNull();
});
