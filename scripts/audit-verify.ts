/**
 * `npm run audit:verify`: walks every history chain as the tables' owner (DATABASE_OWNER_URL, or the
 * embedded cluster's superuser), checks it against the newest checkpoint signed outside the
 * database, records a checkpoint (signed too when the history is intact), prints every break and
 * exits 1 if there is one.
 */
import postgres from "postgres";
import { resolveDatabase } from "@/db/local";
import { sealConfigFromEnv } from "@/lib/audit/seal";
import { verifyAndCheckpoint } from "@/lib/audit/verify-chain";

async function main() {
  const { ownerUrl, embedded } = await resolveDatabase();
  const seal = await sealConfigFromEnv({ embedded: embedded !== null });
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    const report = await verifyAndCheckpoint(sql, { seal, onProgress: (rows) => process.stderr.write(`\rverified ${rows} rows…`) });
    process.stderr.write("\n");
    if (!seal) console.warn("warning: checkpoints are not signed (set FLOWGATE_AUDIT_KEY and FLOWGATE_AUDIT_DIR): a superuser who recomputes the hashes goes unnoticed");
    else if (report.signed) console.log(`checked against the signed checkpoint of ${report.signed.at} (${report.signed.rows} rows through history row ${report.signed.throughId})`);
    if (report.ok) {
      console.log(`chain verified: ${report.rows} rows in ${report.chains} chains through history row ${report.throughId} (${report.durationMs} ms); heads ${report.headsHash.slice(0, 16)}…`);
      if (report.sealedTo) console.log(`signed checkpoint appended to ${report.sealedTo}`);
    } else {
      console.error(`CHAIN BROKEN: ${report.breakCount} break(s)`);
      for (const b of report.breaks) {
        const where = b.instanceId ? `instance ${b.instanceId}${b.seq !== null ? `, seq ${b.seq}` : ""}${b.historyId !== null ? `, history row ${b.historyId}` : ""}` : b.historyId !== null ? `through history row ${b.historyId}` : "checkpoints";
        console.error(`  ${where}: ${b.problem}`);
      }
      if (report.breakCount > report.breaks.length) console.error(`  … and ${report.breakCount - report.breaks.length} more`);
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
