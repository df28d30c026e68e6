import { format } from "node:util";
import type { Logger } from "pino";
import { STEP_LOG_MAX_CHARS, STEP_LOG_MAX_FIELDS, STEP_LOG_MAX_LINES, type StepLogLine } from "@/lib/domain";
import { clipText, storableText } from "@/lib/text";

const kept = ["info", "warn", "error", "fatal"] as const;
type KeptLevel = (typeof kept)[number];
const isKept = (prop: string | symbol): prop is KeptLevel => typeof prop === "string" && (kept as readonly string[]).includes(prop);

/**
 * The lines one step run logged, bounded: the newest STEP_LOG_MAX_LINES (older ones counted in
 * `dropped`), each message and its fields cut to their caps, every string made storable (jsonb
 * refuses NUL and half surrogate pairs: a step must not be able to break its own log's insert).
 */
export class StepLogBuffer {
  readonly lines: StepLogLine[] = [];
  dropped = 0;

  /** Records one pino call (`log.info(obj?, msg?, ...args)`) as a line. */
  add(level: KeptLevel, args: unknown[]): void {
    const [first, ...rest] = args;
    let msg: string;
    let fields: string | undefined;
    if (first instanceof Error) {
      msg = rest.length ? format(...rest) : first.message;
      fields = fieldsText({ err: { type: first.name, message: first.message } });
    } else if (first !== null && typeof first === "object") {
      msg = rest.length ? format(...rest) : "";
      fields = fieldsText(first);
    } else {
      msg = format(...args);
    }
    this.lines.push({ at: new Date().toISOString(), level, msg: clipText(storableText(msg), STEP_LOG_MAX_CHARS), ...(fields ? { fields } : {}) });
    if (this.lines.length > STEP_LOG_MAX_LINES) {
      this.lines.shift();
      this.dropped++;
    }
  }
}

/** Structured fields as JSON text, cut to STEP_LOG_MAX_FIELDS; escaped lone surrogates and NUL (which jsonb refuses) become U+FFFD. */
function fieldsText(value: object): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = "[fields that are not JSON]";
  }
  if (!text || text === "{}") return undefined;
  return clipText(storableText(text.replace(/\\u0000|\\ud[89a-f][0-9a-f]{2}/gi, "\\ufffd")), STEP_LOG_MAX_FIELDS);
}

/**
 * `parent` with its info, warn, error and fatal calls also recorded in `buffer`, whatever the
 * process's LOG_LEVEL: the worker's own log still gets what its level lets through, and the
 * instance page gets what the step said. Everything else (child, level, flush, …) is pino's own.
 */
export function capturingLogger(parent: Logger, buffer: StepLogBuffer): Logger {
  return new Proxy(parent, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (isKept(prop) && typeof value === "function") {
        return (...args: unknown[]) => {
          buffer.add(prop, args);
          return (value as (...a: unknown[]) => void).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
