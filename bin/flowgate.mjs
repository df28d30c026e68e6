#!/usr/bin/env node
// The `flowgate` CLI (cli/main.ts), run through tsx so the package ships no build step.
import { register } from "tsx/esm/api";

register();
await import(new URL("../cli/main.ts", import.meta.url).href);
