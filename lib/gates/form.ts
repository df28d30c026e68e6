import { z } from "zod";
import type { GateForm, GateFormField } from "@/lib/domain";
import { optionalText, requiredText } from "@/lib/text";

/** Longest text a gate form's text field takes when its schema sets no maxLength, in code points. */
export const FORM_TEXT_MAX = 2000;

/** Where form values come from: a JSON body keeps its types; a browser form sends every value as a string. */
export type FormSource = "json" | "form";

/**
 * The zod schema that checks an approver's values against a gate's form (GateForm, the JSON Schema
 * the SDK stored). Text goes through the one text rule (lib/text.ts: no control characters,
 * normalised, at most maxLength or FORM_TEXT_MAX code points), choices must be one of the enum,
 * numbers must lie within minimum/maximum (and be whole for `integer`). A missing field takes its
 * default; a missing required field without one is an error on that field. Unknown fields are
 * refused, so nothing unchecked is stored. With `source: "form"`, strings are read as a browser
 * form sends them: numbers parsed, a checkbox present (`on`, `true`) is true and absent is false,
 * an empty text or number field counts as missing.
 */
export function formValuesSchema(form: GateForm, source: FormSource = "json") {
  const required = new Set(form.required ?? []);
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(form.properties)) {
    shape[key] = fieldSchema(field, labelOf(key, field), required.has(key) && field.default === undefined, source);
  }
  return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? `This form has no field ${issue.keys.join(", ")}` : undefined) });
}

/** A field's name as people read it: its title, else its key. */
export const labelOf = (key: string, field: GateFormField): string => field.title ?? key;

function fieldSchema(field: GateFormField, label: string, required: boolean, source: FormSource): z.ZodType {
  const missing = `${label} is required`;
  const blankAsMissing = (v: unknown) => (source === "form" && typeof v === "string" && v.trim() === "" ? undefined : v);
  let schema: z.ZodType;
  if (field.type === "boolean") {
    const bool = z.boolean({ error: `${label} must be yes or no` });
    // An unchecked checkbox is simply absent from the form: that is "no", not "missing".
    if (source === "form") return z.preprocess((v) => v === "on" || v === "true", bool);
    schema = required ? bool : bool.optional();
  } else if (field.type === "number" || field.type === "integer") {
    let num = field.type === "integer" ? z.number({ error: `${label} must be a whole number` }).int(`${label} must be a whole number`) : z.number({ error: `${label} must be a number` });
    if (field.minimum !== undefined) num = num.min(field.minimum, `${label} must be at least ${field.minimum}`);
    if (field.maximum !== undefined) num = num.max(field.maximum, `${label} must be at most ${field.maximum}`);
    if (field.exclusiveMinimum !== undefined) num = num.gt(field.exclusiveMinimum, `${label} must be more than ${field.exclusiveMinimum}`);
    if (field.exclusiveMaximum !== undefined) num = num.lt(field.exclusiveMaximum, `${label} must be less than ${field.exclusiveMaximum}`);
    const parsed = source === "form" ? z.preprocess((v) => (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), num) : num;
    schema = z.preprocess(blankAsMissing, required ? parsed : parsed.optional());
  } else if (field.enum) {
    const choice = z.enum(field.enum as [string, ...string[]], { error: `Choose one of: ${field.enum.join(", ")}` });
    schema = z.preprocess(blankAsMissing, required ? choice : choice.optional());
  } else {
    const max = field.maxLength ?? FORM_TEXT_MAX;
    const text = required ? requiredText({ label, max, multiline: true, required: missing }) : optionalText({ label, max, multiline: true });
    const minLength = field.minLength ?? 0;
    schema = minLength ? (text as z.ZodType<string | undefined>).refine((v) => v === undefined || [...v].length >= minLength, `${label} needs at least ${minLength} characters`) : text;
  }
  if (required) return z.unknown().refine((v) => blankAsMissing(v) !== undefined, missing).pipe(schema);
  return field.default !== undefined ? schema.transform((v) => (v === undefined ? field.default : v)) : schema;
}

/**
 * Checks that a JSON Schema (from `z.toJSONSchema` of a gate's zod form) holds only fields a gate
 * form can show: choices, text, numbers, yes/no. Returns the GateForm, or throws an Error naming
 * the first field that is something else (an array, an object, a union).
 */
export function asGateForm(schema: Record<string, unknown>, where: string): GateForm {
  if (schema.type !== "object" || !schema.properties || typeof schema.properties !== "object") throw new Error(`${where}: a gate form must be a z.object`);
  const properties: Record<string, GateFormField> = {};
  for (const [key, raw] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
    const type = raw.type;
    if (type !== "string" && type !== "number" && type !== "integer" && type !== "boolean") {
      throw new Error(`${where}: form field "${key}" must be a string, an enum, a number or a boolean`);
    }
    if (raw.enum && (!Array.isArray(raw.enum) || raw.enum.some((v) => typeof v !== "string"))) throw new Error(`${where}: form field "${key}" must be an enum of strings`);
    const keep = ["type", "enum", "default", "title", "description", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"] as const;
    properties[key] = Object.fromEntries(keep.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]])) as GateFormField;
  }
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return { type: "object", properties, ...(required.length ? { required } : {}), order: Object.keys(properties) };
}
