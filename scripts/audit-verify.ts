/** `npm run audit:verify`: walks every history chain, records a checkpoint, exits 1 on a break. */
import postgres from "postgres";
import { resolveDatabase } from "@/db/local";
import { verifyAndCheckpoint } from "@/lib/audit/verify-chain";

async function main() {
  const { url, embedded } = await resolveDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const report = await verifyAndCheckpoint(sql, { onProgress: (rows) => process.stderr.write(`\rverified ${rows} rows…`) });
    process.stderr.write("\n");
    if (report.ok) {
      console.log(`chain verified: ${report.rows} rows in ${report.chains} chains through history row ${report.throughId} (${report.durationMs} ms); heads ${report.headsHash.slice(0, 16)}…`);
    } else {
      const b = report.broken!;
      console.error(`CHAIN BROKEN at history row ${b.historyId} (instance ${b.instanceId || "?"}, seq ${b.seq}): ${b.problem}`);
      process.exitCode = 1;
    }
  } finally {
    await sql.end();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
