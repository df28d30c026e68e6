import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clipText, codePointLength, DATE_MAX, DATE_MIN, isBlank, isoDate, normaliseText, parseIsoDate, requiredText, storableText, textFieldStatus } from "@/lib/text";

// The text and date rules of lib/text.ts, as properties: whatever string arrives, what is
// accepted is storable (no NUL, no control character, no unpaired surrogate), normalised,
// within the limit in code points and not blank; the form's counter agrees with the server.

const anyString = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.string({ unit: "grapheme", maxLength: 60 }), fc.constantFrom("\u0000", "\ud800", "\u200b", "e\u0301", "😀"));

describe("text", () => {
  it("accepted text is normalised, storable, within the limit and not blank; refused text says why", () => {
    const schema = requiredText({ label: "Reason", max: 20, required: "Say why", multiline: true });
    fc.assert(
      fc.property(anyString, (raw) => {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          expect(parsed.error.issues[0]!.message).toMatch(/Reason|Say why|reason/);
          return;
        }
        const value = parsed.data;
        expect(value).toBe(normaliseText(value));
        expect(value).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u);
        expect(value).not.toMatch(/\p{Cs}/u);
        expect(isBlank(value)).toBe(false);
        expect(codePointLength(value)).toBeLessThanOrEqual(20);
        expect(Buffer.from(value, "utf8").toString("utf8")).toBe(value); // survives UTF-8, so hashes what is stored
      }),
      { numRuns: 500 },
    );
  });

  it("the form's status agrees with the server on every string without control characters", () => {
    const schema = requiredText({ label: "Reason", max: 20, required: "Say why", multiline: true });
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (raw) => {
        expect(textFieldStatus(raw, { max: 20, required: true }).invalid).toBe(!schema.safeParse(raw).success);
      }),
      { numRuns: 500 },
    );
  });

  it("normalising is idempotent and length counts code points", () => {
    fc.assert(
      fc.property(anyString, (raw) => {
        expect(normaliseText(normaliseText(raw))).toBe(normaliseText(raw));
      }),
    );
    expect(codePointLength("😀é")).toBe(2);
    expect(isBlank("\u200b\u2060\ufeff \u00ad")).toBe(true);
  });
});

describe("dates", () => {
  it("every instant in range round-trips through its ISO 8601 form", () => {
    fc.assert(
      fc.property(fc.date({ min: DATE_MIN, max: DATE_MAX, noInvalidDate: true }), (d) => {
        expect(parseIsoDate(d.toISOString())?.getTime()).toBe(d.getTime());
      }),
    );
  });

  it("refuses impossible days, expanded years, hour 24 and non-strings", () => {
    for (const bad of ["2027-02-30", "2026-02-29", "-010000-01-01", "+275760-09-13", "2027-01-01T24:00Z", "2027-1-1", "2027-01-01T10:00+25:00", "tomorrow", ""]) {
      expect(parseIsoDate(bad), bad).toBeUndefined();
    }
    const schema = isoDate({ label: "When" });
    for (const bad of [[2027, 1, 1], 1830000000000, true, "1969-12-31", new Date(8.64e15)]) expect(schema.safeParse(bad).success, String(bad)).toBe(false);
    expect(parseIsoDate("2028-02-29T12:00:00.5+02:00")?.toISOString()).toBe("2028-02-29T10:00:00.500Z");
    expect(parseIsoDate("2027-01-31", true)?.toISOString()).toBe("2027-01-31T23:59:59.999Z");
  });

  it("never throws, whatever the string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        parseIsoDate(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe("text Flowgate records from steps and hooks", () => {
  it("storableText leaves valid text alone and replaces NUL and unpaired surrogates", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const valid = s.replaceAll("\u0000", "");
        expect(storableText(valid)).toBe(valid);
      }),
    );
    expect(storableText("a\u0000b\ud800c\udc00d😀")).toBe("a\uFFFDb\uFFFDc\uFFFDd😀");
  });

  it("clipText cuts on code points, never inside a surrogate pair, and is storable", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 0, max: 40 }), (s, max) => {
        const out = clipText(s, max);
        expect(codePointLength(out)).toBeLessThanOrEqual(max);
        expect(out.includes("\u0000") || /\p{Cs}/u.test(out)).toBe(false);
      }),
    );
    expect(clipText("😀😀😀", 2)).toBe("😀😀");
  });
});
