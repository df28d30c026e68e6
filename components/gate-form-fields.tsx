import { formFields, type GateForm, type GateOption } from "@/lib/domain";
import { Field, Input, Select, Textarea } from "./ui/field";

const fieldId = (prefix: string, key: string) => `${prefix}-value-${key}`;

/**
 * A gate's options (a required radio group named `option`) and its form's fields (named
 * `values.<field>`), drawn from the JSON Schema the SDK stored: a choice is a select, a number a
 * number input, a yes/no a checkbox, text a textarea; defaults pre-filled, descriptions as hints.
 * Uncontrolled, so a refused submit keeps what was typed; `errors` are the server's, by field.
 */
export function GateFormFields({ idPrefix, form, options, errors }: { idPrefix: string; form: GateForm | null; options: GateOption[]; errors: Record<string, string[]> }) {
  const required = new Set(form?.required ?? []);
  return (
    <div className="space-y-3">
      {options.length > 0 && (
        <fieldset aria-describedby={`${idPrefix}-option-error`}>
          <legend className="text-sm font-medium text-slate-800">Path</legend>
          <div className="mt-1 space-y-1">
            {options.map((o, i) => (
              <label key={o.name} className="flex items-center gap-2 text-sm">
                <input type="radio" name="option" value={o.name} defaultChecked={i === 0} />
                <span>
                  {o.label ?? o.name} <span className="text-slate-500">→ step {o.next}</span>
                </span>
              </label>
            ))}
          </div>
          <div id={`${idPrefix}-option-error`} aria-live="polite">
            {errors.option?.map((e) => <p key={e} className="text-sm text-red-700">{e}</p>)}
          </div>
        </fieldset>
      )}
      {form &&
        formFields(form).map(([key, field]) => {
          const id = fieldId(idPrefix, key);
          const label = `${field.title ?? key}${required.has(key) && field.default === undefined ? "" : " (optional)"}`;
          const fieldErrors = errors[`values.${key}`];
          const common = { id, name: `values.${key}`, "aria-invalid": !!fieldErrors, "aria-describedby": `${id}-hint ${id}-error` };
          if (field.type === "boolean") {
            return (
              <div key={key} className="space-y-1">
                <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
                  <input type="checkbox" {...common} defaultChecked={field.default === true} />
                  {field.title ?? key}
                </label>
                {field.description && <p id={`${id}-hint`} className="text-xs text-slate-500">{field.description}</p>}
                <div id={`${id}-error`} aria-live="polite">{fieldErrors?.map((e) => <p key={e} className="text-sm text-red-700">{e}</p>)}</div>
              </div>
            );
          }
          return (
            <Field key={key} id={id} label={label} hint={field.description} errors={fieldErrors}>
              {field.enum ? (
                <Select {...common} defaultValue={typeof field.default === "string" ? field.default : ""}>
                  {field.default === undefined && <option value="">Choose…</option>}
                  {field.enum.map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </Select>
              ) : field.type === "number" || field.type === "integer" ? (
                <Input {...common} type="text" inputMode={field.type === "integer" ? "numeric" : "decimal"} defaultValue={field.default === undefined ? "" : String(field.default)} />
              ) : (
                <Textarea {...common} rows={2} defaultValue={typeof field.default === "string" ? field.default : ""} />
              )}
            </Field>
          );
        })}
    </div>
  );
}
