/**
 * Bringing a real cluster in: the collector's documents → a scenario.
 *
 * @module
 */
export { importCluster, type Imported, type ImportReport, type InputFile } from "./cluster.js";
export { formatImportError, type ImportError } from "./document.js";
export { formatImportReport } from "./report.js";
