import { CommanderError } from "commander";
import { CliError, EXIT } from "./client";
import { buildProgram } from "./commands";

/** Runs `flowgate` with `argv` (without node and the script) and exits with the CLI's exit code. */
async function main(argv: string[]): Promise<number> {
  const program = buildProgram({ out: process.stdout, err: process.stderr, env: process.env, stdin: process.stdin });
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (error instanceof CliError) {
      if (error.message) process.stderr.write(`flowgate: ${error.message}\n`);
      for (const [field, messages] of Object.entries(error.fields ?? {})) process.stderr.write(`  ${field}: ${messages.join("; ")}\n`);
      return error.exitCode;
    }
    process.stderr.write(`flowgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.server;
  }
}

process.exitCode = await main(process.argv.slice(2));
