export { verifyBundleFile } from "./verifyBundleFile.js";
export type { VerifyFileOptions } from "./verifyBundleFile.js";
export { SignatureWorkerPool, defaultWorkerCount } from "./signatureWorkers.js";
export { nodeEd25519Verifier } from "./nodeEd25519Verifier.js";
export { loadTrustAnchors } from "./trustInput.js";
export { main, run, EXIT } from "./cli/chargemeshAudit.js";
