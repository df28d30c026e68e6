import { reasonCategories } from "@/lib/domain";
import { Field, Input, Select } from "./ui/field";

/** The optional category and ticket link that travel with a reason, with their own field errors. */
export function ReasonTagsFields({ idPrefix, errors }: { idPrefix: string; errors: Record<string, string[]> }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-3">
      <Field id={`${idPrefix}-category`} label="Category (optional)" errors={errors.category}>
        <Select id={`${idPrefix}-category`} name="category" defaultValue="" aria-describedby={`${idPrefix}-category-error`}>
          <option value="">None</option>
          {reasonCategories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
      </Field>
      <Field id={`${idPrefix}-ticket`} label="Ticket link (optional)" errors={errors.ticketUrl}>
        <Input id={`${idPrefix}-ticket`} name="ticketUrl" type="url" placeholder="https://tracker.example.com/OPS-42" aria-invalid={!!errors.ticketUrl} aria-describedby={`${idPrefix}-ticket-error`} />
      </Field>
    </div>
  );
}
