import path from "node:path";

/** Where the e2e server tells the specs which database it runs on. */
export const STATE_FILE = path.resolve(process.cwd(), "test-results/e2e-database-url");
