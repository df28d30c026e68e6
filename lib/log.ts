import pino from "pino";
import { env } from "./env";

export const log = pino({
  level: env().LOG_LEVEL,
  base: { service: process.env.FLOWGATE_SERVICE ?? "flowgate" },
  timestamp: pino.stdTimeFunctions.isoTime,
});
